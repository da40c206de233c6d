"""Held-out sets stay held out: no text may equal a training text once the model normalised both."""
import pytest

from bot.heldout import (FRUSTRATION_HELDOUT, NLU_HELDOUT_SETS, frustration_training_texts, heldout_texts,
                         normal_form, nlu_training_texts, overlaps)


def test_the_check_sees_through_capitals_letters_digits_and_punctuation():
    assert normal_form("SİPARİŞİM NEREDE 400142!") == normal_form("siparisim nerede 400999")
    assert normal_form("SİPARİŞ NO:401108") == normal_form("sipariş no: 400142")
    assert overlaps(["İADE ETMEK İSTİYORUM"], ["iade etmek istiyorum."]) == [
        ("İADE ETMEK İSTİYORUM", "iade etmek istiyorum.")]
    assert overlaps(["iade etmek istiyorum"], ["iade etmek istemiyorum"]) == []


@pytest.mark.parametrize("path", NLU_HELDOUT_SETS, ids=lambda p: p.name)
def test_no_nlu_heldout_text_is_a_training_text(path):
    assert overlaps(heldout_texts(path), nlu_training_texts()) == []


def test_no_frustration_heldout_text_is_a_tone_example():
    assert overlaps(heldout_texts(FRUSTRATION_HELDOUT), frustration_training_texts()) == []
