"""Personal data under KVKK: masking, consent, data subject requests, retention, audit."""
