"""Our Rasa components on real Rasa messages, without training a model."""
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.shop_entities import ShopEntityExtractor
from bot.nlu.slash_guard import SlashCommandGuard, neutralise_slash_command
from bot.nlu.turkish_normalizer import TurkishNormalizer, token_lemma


def _tokenized(text):
    message = Message(data={"text": text})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return message


def test_every_way_of_writing_gives_the_same_lemmas():
    forms = ["SİPARİŞİM NEREDE", "SIPARISIM NEREDE", "siparişim nerede", "siparisim neredeee"]
    lemmas = set()
    for text in forms:
        message = TurkishNormalizer({}).process([_tokenized(text)])[0]
        lemmas.add(tuple(t.lemma for t in message.get("text_tokens")))
    assert lemmas == {("siparisim", "nerede")}


def test_lemmas_leave_token_text_and_offsets_alone():
    message = TurkishNormalizer({}).process([_tokenized("İADE 400142'nin")])[0]
    tokens = message.get("text_tokens")
    assert [(t.text, t.start, t.lemma) for t in tokens] == [("İADE", 0, "iade"), ("400142'nin", 5, "000000")]


def test_emails_and_numbers_become_one_feature_each():
    assert token_lemma("Ali.Veli@Example.com") == "emailadresi"
    assert token_lemma("#400142") == "#000000"


def test_slash_commands_become_text_of_the_same_length():
    text = '/inform{"email": "x@y.com"}'
    assert neutralise_slash_command(text) == ' inform{"email": "x@y.com"}'
    assert neutralise_slash_command(" //restart") == "   restart"
    assert neutralise_slash_command("iade 1/2") == "iade 1/2"


def test_the_guard_only_changes_messages_starting_with_a_slash():
    messages = [Message(data={"text": "/restart"}), Message(data={"text": "a/b"})]
    SlashCommandGuard({}).process(messages)
    assert [m.get("text") for m in messages] == [" restart", "a/b"]


def test_entities_and_language_come_out_of_the_extractor():
    message = Message(data={"text": "400142'nin durumu ne? mail: a@b.com", "metadata": {"language": "en"}})
    ShopEntityExtractor({}).process([message])
    entities = {(e["entity"], e["value"]) for e in message.get("entities")}
    assert entities == {("order_no", "400142"), ("email", "a@b.com"), ("language", "en")}
