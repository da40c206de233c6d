import pytest

from bot.text import fold, fold_words, turkish_lower


@pytest.mark.parametrize("raw, folded", [
    ("SİPARİŞİM NEREDE", "siparisim nerede"),
    ("SIPARISIM NEREDE", "siparisim nerede"),
    ("siparişim nerede", "siparisim nerede"),
    ("İADE ETMEK İSTİYORUM", "iade etmek istiyorum"),
    ("neredeeeee", "nerede"),
    ("ÇOOOK KÖTÜ", "cok kotu"),
])
def test_fold_makes_one_form_of_every_way_of_writing(raw, folded):
    assert fold(raw) == folded


def test_turkish_lower_keeps_dotless_i_and_one_code_point_per_letter():
    assert turkish_lower("IŞIK İZMİR") == "ışık izmir"
    assert len(turkish_lower("İ")) == 1  # str.lower() would give two code points


def test_fold_words_drops_punctuation_but_keeps_emails():
    assert fold_words("Kargo ücreti ne kadar?!") == "kargo ucreti ne kadar"
