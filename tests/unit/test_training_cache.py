import shutil

from bot import training


def test_model_name_follows_the_content_of_the_inputs(tmp_path, monkeypatch):
    faq = tmp_path / "faq"
    shutil.copytree(training.FAQ_DIR, faq)
    sources = [p if p != training.FAQ_DIR else faq for p in training.HASHED_SOURCES]
    monkeypatch.setattr(training, "HASHED_SOURCES", sources)
    before = training.data_hash()
    assert training.data_hash() == before  # stable
    (faq / "invoice.yml").write_text((faq / "invoice.yml").read_text() + "\n# edited\n")
    assert training.data_hash() != before
