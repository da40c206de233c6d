import pytest

from bot.language import detect_language, language_from_metadata, message_language


@pytest.mark.parametrize("text", ["siparişim nerede", "siparisim nerde", "KARGO UCRETI NE KADAR", "iade etmek istiyorum",
                                  "slm", "tsk abi"])
def test_turkish(text):
    assert detect_language(text) == "tr"


@pytest.mark.parametrize("text", ["where is my order", "How much is shipping?", "I want to return this",
                                  "thanks", "can I pay in installments"])
def test_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["400142", "ok", "ali@example.com", ""])
def test_messages_without_words_of_either_language_keep_the_conversation_language(text):
    assert detect_language(text) is None


def test_page_language_from_metadata_wins():
    assert message_language("siparişim nerede", {"language": "en-GB"}) == "en"
    assert language_from_metadata({"locale": "tr_TR"}) == "tr"
    assert language_from_metadata({"language": "de"}) is None
    assert language_from_metadata("en") is None
