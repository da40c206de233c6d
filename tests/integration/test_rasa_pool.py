"""The serving Rasa's proxy (bot/rasa_pool.py): a model that does not load changes nothing."""
import requests


def test_a_model_that_does_not_load_leaves_the_serving_rasa_alone(running_assistant, shopper, tmp_path):
    token = {"token": running_assistant.rasa_api_token()}
    before = requests.get(f"{running_assistant.rasa_url}/pool/status", params=token, timeout=10).json()
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a model")
    refused = requests.post(f"{running_assistant.rasa_url}/pool/model", params=token, json={"model_file": str(broken)},
                            timeout=600)
    assert refused.status_code == 500 and "broken.tar.gz" in refused.json()["error"]
    missing = requests.post(f"{running_assistant.rasa_url}/pool/model", params=token,
                            json={"model_file": str(tmp_path / "none.tar.gz")}, timeout=30)
    assert missing.status_code == 400
    assert requests.post(f"{running_assistant.rasa_url}/pool/model", json={"model_file": str(broken)},
                         timeout=30).status_code == 401
    after = requests.get(f"{running_assistant.rasa_url}/pool/status", params=token, timeout=10).json()
    assert after == before
    assert shopper().say("kargo ücreti ne kadar")  # still answering
