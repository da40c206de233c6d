"""Follow-up e-mails after delivery: who gets one, sending through SMTP, the feedback and unsubscribe pages."""
