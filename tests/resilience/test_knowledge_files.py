"""The editors' files: broken FAQ files (data/faq/*.yml) are explained by `kb-check`, never crash it,
and change nothing. Only what tests/unit/test_knowledge.py does not cover yet: wrong types,
unknown fields, a 1 MB answer, HTML, bytes that are not UTF-8, a file that cannot be read."""
import hashlib
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot import knowledge, training
from bot.cli import main

FAQ_DIR = Path(__file__).resolve().parents[2] / "data" / "faq"


@pytest.fixture
def faq_copy(tmp_path):
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target)
    return target


def fingerprint(folder: Path) -> dict:
    """Every file's name and content hash: what "changes nothing" compares."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir()) if path.is_file()}


def edited(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def kb_check(faq_dir: Path, monkeypatch):
    """`python -m bot kb-check` on another folder (the command reads bot.training.FAQ_DIR)."""
    monkeypatch.setattr(training, "FAQ_DIR", faq_dir)
    return CliRunner().invoke(main, ["kb-check"])


def replace_answer(value):
    return lambda data: data["answer"].update(tr=value)


# (what the editor did to invoice.yml, words the explanation must contain)
BROKEN_FILES = {
    "title is a string": (lambda d: d.update(title="Fatura"), "başlık"),
    "questions are a string": (lambda d: d["questions"].update(tr="fatura nasıl alırım"), "soru listesi"),
    "a question is a number": (lambda d: d["questions"]["tr"].append(400), "soru listesi"),
    "questions hold a mapping": (lambda d: d["questions"].update(tr={"soru": "fatura"}), "soru listesi"),
    "answer is a list": (replace_answer(["Fatura e-postanıza gelir."]), "cevap ('answer') eksik"),
    "answer is a number": (replace_answer(42), "cevap ('answer') eksik"),
    "answer is null": (replace_answer(None), "cevap ('answer') eksik"),
    "topic is a number": (lambda d: d.update(topic=12), "'topic'"),
    "topic names another file": (lambda d: d.update(topic="shipping_cost"), "dosya adıyla aynı"),
    "an unknown field": (lambda d: d.update(answers={"tr": "x"}), "bilinmeyen alan 'answers'"),
    "a 1 MB answer": (replace_answer("Faturanız e-postanıza gelir. " * 35_000), "en fazla 700"),
    "HTML in the answer": (replace_answer("Faturanız <b>e-postanıza</b> gelir, <a href='x'>buradan</a> indirin."), "HTML"),
    "a script in the answer": (replace_answer("Faturanız e-postanıza gelir.<script>alert(1)</script>"), "HTML"),
    "an HTML entity in the answer": (replace_answer("Fatura &amp; irsaliye e-postanıza gelir."), "HTML"),
}


@pytest.mark.parametrize("mistake", BROKEN_FILES, ids=list(BROKEN_FILES))
def test_a_broken_field_is_explained_and_changes_nothing(faq_copy, monkeypatch, mistake):
    change, words = BROKEN_FILES[mistake]
    edited(faq_copy / "invoice.yml", change)
    before = fingerprint(faq_copy)

    problems = [str(p) for p in knowledge.validate(faq_copy)]
    assert any("invoice.yml" in p and words in p for p in problems), problems

    result = kb_check(faq_copy, monkeypatch)
    assert result.exit_code == 1, result.output
    assert words in result.stderr and "sorun var" in result.stderr
    assert fingerprint(faq_copy) == before


# (the file's raw content, words the explanation must contain)
BROKEN_CONTENT = {
    "invalid YAML": (b"topic: invoice\nanswer:\n  tr: \"Fatura\n  en: 'x'\n", "satır"),
    "a tab in the indentation": (b"topic: invoice\ntitle:\n\ttr: Fatura\n", "okunamadı"),
    "bytes that are not UTF-8": ("topic: invoice\ntitle:\n  tr: Fatura ".encode("utf-8") + b"\xff\xfe\xc3(\n", "UTF-8"),
    "Windows-1254 instead of UTF-8": ("topic: invoice\ntitle:\n  tr: Fatura işlemleri\n".encode("cp1254"), "UTF-8"),
    "an empty file": (b"", "alanlarını içermeli"),
    "a list instead of fields": (b"- topic: invoice\n- answer: x\n", "alanlarını içermeli"),
    "a plain sentence": ("Fatura e-postanıza gelir.".encode("utf-8"), "alanlarını içermeli"),
    "NUL bytes": (b"\x00\x00\x00", "okunamadı"),
}


@pytest.mark.parametrize("mistake", BROKEN_CONTENT, ids=list(BROKEN_CONTENT))
def test_a_file_that_cannot_be_read_is_explained_and_changes_nothing(faq_copy, monkeypatch, mistake):
    content, words = BROKEN_CONTENT[mistake]
    (faq_copy / "invoice.yml").write_bytes(content)
    before = fingerprint(faq_copy)

    problems = [str(p) for p in knowledge.validate(faq_copy)]
    assert any("invoice.yml" in p and words in p for p in problems), problems

    result = kb_check(faq_copy, monkeypatch)
    assert result.exit_code == 1 and words in result.stderr, result.output
    assert fingerprint(faq_copy) == before


def test_a_folder_named_like_a_topic_file_is_explained(faq_copy, monkeypatch):
    (faq_copy / "invoice.yml").unlink()
    (faq_copy / "invoice.yml").mkdir()  # e.g. an unpacked archive
    problems = [str(p) for p in knowledge.validate(faq_copy)]
    assert any("invoice.yml" in p and "okunamadı" in p for p in problems), problems
    assert kb_check(faq_copy, monkeypatch).exit_code == 1


def test_a_deleted_topic_file_is_explained(faq_copy, monkeypatch):
    (faq_copy / "warranty.yml").unlink()
    result = kb_check(faq_copy, monkeypatch)
    assert result.exit_code == 1 and "'warranty' konusu eksik" in result.stderr


def test_every_mistake_at_once_is_reported_and_nothing_is_generated(faq_copy, tmp_path, monkeypatch):
    """One check lists all problems (the editor fixes them in one go); the build writes nothing."""
    (faq_copy / "invoice.yml").write_bytes(b"\xff\xfe")
    edited(faq_copy / "warranty.yml", replace_answer("<p>2 yıl garanti</p>."))
    edited(faq_copy / "exchange.yml", lambda d: d.update(title=["Değişim"]))
    problems = [str(p) for p in knowledge.validate(faq_copy)]
    for name in ("invoice.yml", "warranty.yml", "exchange.yml"):
        assert any(name in p for p in problems), (name, problems)
    with pytest.raises(ValueError):
        knowledge.generate(knowledge.load(faq_copy), FAQ_DIR.parents[1] / "domain.yml",
                           tmp_path / "build" / "faq.yml", tmp_path / "build" / "domain.yml")
    assert not (tmp_path / "build").exists()


def test_the_real_knowledge_base_still_passes_the_new_checks(monkeypatch):
    result = kb_check(FAQ_DIR, monkeypatch)
    assert result.exit_code == 0, result.stderr
