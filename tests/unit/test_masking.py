"""Masking card numbers, CVVs, TCKNs and IBANs (bot/privacy/masking.py) before anything stores them.

Examples in the ways shoppers write, then properties (hypothesis, derandomized): a valid secret in
any writing style, anywhere in any text, never keeps its digits; order numbers, RMA codes and
e-mails next to it, and phone numbers, prices and dates on their own, come through unchanged.
"""
import unicodedata
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from bot.privacy.masking import MASKS, mask_phone, mask_sensitive, mask_text, mask_url, mask_values

PROPERTIES = settings(max_examples=300, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


# --- valid secrets ---------------------------------------------------------------------------
def luhn_check_digit(body: str) -> str:
    total = 0
    for position, ch in enumerate(reversed(body)):
        value = int(ch)
        if position % 2 == 0:  # doubled: the check digit will be appended to the right
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def tckn_from(first_nine: str) -> str:
    d = [int(ch) for ch in first_nine]
    tenth = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 - (d[1] + d[3] + d[5] + d[7])) % 10
    eleventh = (sum(d) + tenth) % 10
    return f"{first_nine}{tenth}{eleventh}"


def iban_from(country: str, bban: str) -> str:
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


TROY = "979203000000000" + luhn_check_digit("979203000000000")  # Turkey's own card scheme
CARDS = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "4222222222222",
         TROY, "3530111333300000", "6250941006528599"]
TCKNS = ["10000000146", tckn_from("123456789"), tckn_from("987654321")]
IBANS = ["TR330006100519786457841326", iban_from("TR", "0006200000000012345678"), "DE89370400440532013000",
         "GB29NWBK60161331926819"]


def digits(text: str) -> str:
    """Every decimal digit of `text`, in any script, as ASCII."""
    return "".join(str(unicodedata.decimal(ch)) for ch in text if unicodedata.decimal(ch, None) is not None)


def test_the_generated_examples_are_valid():
    assert luhn_check_digit("411111111111111") == "1" and TCKNS[1] != TCKNS[2]
    assert iban_from("TR", "0006100519786457841326") == IBANS[0]


# --- examples ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "kart numaram 4111 1111 1111 1111", "4111-1111-1111-1111 ile ödedim", "4111.1111.1111.1111",
    "kartım:4111111111111111,", "Card: 4111111111111111.", "kartno4111111111111111lütfen",
    "411 111 111 111 1111", "4111  1111  1111  1111", "４１１１ １１１１ １１１１ １１１１",
    "٤١١١١١١١١١١١١١١١ kartım", "4111\u00a01111\u20091111-1111", "amex 3782 822463 10005",
    f"troy kartım {TROY[:4]} {TROY[4:8]} {TROY[8:12]} {TROY[12:]}", "KARTIM 4222222222222 İŞTE",
])
def test_card_numbers_are_masked_in_any_writing(text):
    masked = mask_sensitive(text)
    assert masked.kinds == ("card",)
    assert MASKS["card"] in masked.text
    assert not any(card in digits(masked.text) for card in CARDS)
    assert "1111" not in digits(masked.text) and "0005" not in digits(masked.text)


def test_the_words_around_a_masked_card_stay():
    assert mask_text("kartım:4111111111111111, teşekkürler") == "kartım:[gizlendi: kart], teşekkürler"


def test_a_card_number_that_fails_luhn_is_not_a_card():
    assert mask_text("4111 1111 1111 1112") == "4111 1111 1111 1112"


def test_a_card_with_its_expiry_date_and_code():
    text = "4111 1111 1111 1111 12/27 123, siparişim 400142"
    masked = mask_sensitive(text)
    assert masked.text == "[gizlendi: kart] [gizlendi: son kullanma] [gizlendi: CVV], siparişim 400142"
    assert masked.kinds == ("card", "expiry", "cvv")
    assert mask_text("kart 5555555555554444 skt 03/2029 cvc:987") == \
        "kart [gizlendi: kart] skt [gizlendi: son kullanma] cvc:[gizlendi: CVV]"


def test_a_misspelt_or_short_name_of_the_code_next_to_a_card():
    assert mask_sensitive("kartım 4111 1111 1111 1111 ccv 123").text == "kartım [gizlendi: kart] ccv [gizlendi: CVV]"
    assert mask_text("4111111111111111 ccv2: 987") == "[gizlendi: kart] ccv2: [gizlendi: CVV]"
    assert mask_text("5555555555554444 güvenlik 456") == "[gizlendi: kart] güvenlik [gizlendi: CVV]"


@pytest.mark.parametrize("text, expected", [
    ("4111 1111 1111 1111 1227 123", "[gizlendi: kart] [gizlendi: son kullanma] [gizlendi: CVV]"),
    ("kartım 5555555555554444 0329 9876 teşekkürler", "kartım [gizlendi: kart] [gizlendi: son kullanma] [gizlendi: CVV] teşekkürler"),
    ("4111 1111 1111 1111, 0128, 999", "[gizlendi: kart], [gizlendi: son kullanma], [gizlendi: CVV]"),
    ("4111 1111 1111 1111 1227", "[gizlendi: kart] [gizlendi: son kullanma]"),
    ("4111 1111 1111 1111 123", "[gizlendi: kart] [gizlendi: CVV]"),
])
def test_four_digits_after_a_card_that_read_as_month_and_year_are_its_expiry(text, expected):
    masked = mask_sensitive(text)
    assert masked.text == expected
    assert masked.kinds == tuple(kind for kind in ("card", "expiry", "cvv") if MASKS[kind] in expected)


@pytest.mark.parametrize("text", [
    "kartım 4111/1111/1111/1111", "4111 / 1111 / 1111 / 1111 ile ödedim", "kart no:\n4111 1111\n1111 1111\nteşekkürler",
    "4111111111\n111111", "4111 1111 1111\r\n1111", "amex 3782/822463/10005", "4222/2222/2222/2",
])
def test_a_card_parted_by_slashes_or_over_a_line_is_masked(text):
    masked = mask_sensitive(text)
    assert masked.kinds == ("card",), masked
    assert "1111" not in digits(masked.text) and "2222" not in digits(masked.text) and "0005" not in digits(masked.text)


def test_a_card_parted_by_slashes_with_its_expiry_and_code():
    assert mask_text("4111/1111/1111/1111 12/27 123") == "[gizlendi: kart] [gizlendi: son kullanma] [gizlendi: CVV]"
    assert mask_text("4111 1111 1111 1111\n12/27\n123") == "[gizlendi: kart]\n[gizlendi: son kullanma]\n[gizlendi: CVV]"


@pytest.mark.parametrize("text", [
    "12/2026", "12/05/2026", "05/2026\n400142", "400142/400308", "siparişlerim 400102/400308/400259",  # Luhn-valid as a whole
    "400102\n400308\n400259", "12.05.2026\n14:30", "4111 1111\n\n1111 1111",
])
def test_dates_and_order_numbers_over_slashes_and_lines_stay(text):
    assert mask_text(text) == text


def test_an_expiry_like_date_without_a_card_stays():
    assert mask_text("12/27 tarihinde teslim edildi") == "12/27 tarihinde teslim edildi"


@pytest.mark.parametrize("text, code", [
    ("cvv 123", "123"), ("CVV: 123", "123"), ("cvv2=1234", "1234"), ("CVC'm 321", "321"), ("güvenlik kodu 456", "456"),
    ("GÜVENLİK KODU: 456", "456"), ("guvenlik kodum 4567 idi", "4567"), ("Güvenlik numarası 789", "789"),
    ("kartın arkasındaki 3 hane 789", "789"), ("KARTIN ARKASINDAKİ NUMARA 852", "852"),
    ("kartimin arkasinda 741 yaziyor", "741"), ("security code is 963", "963"), ("the Security Code: 0123", "0123"),
    ("852 güvenlik kodu", "852"), ("123 (cvv)", "123"), ("ccv 123", "123"), ("CCV: 321", "321"), ("ccv2 1234", "1234"),
    ("güvenlik 123", "123"), ("guvenlik: 123", "123"), ("GÜVENLİK=4567 idi", "4567"),
])
def test_a_security_code_is_masked_next_to_words_that_name_it(text, code):
    masked = mask_sensitive(text)
    assert masked.kinds == ("cvv",), masked
    assert code not in masked.text and masked.text == text.replace(code, MASKS["cvv"])


@pytest.mark.parametrize("text", [
    "cvv kodumu girdim ama 1249 TL çekildi", "güvenlik kodu sormadınız, iadem IADE-7014",
    "güvenlik kodu yerine telefonumun son 4 hanesi 4567", "cidden 1234 kere sordum", "cvv nedir? siparişim 400142",
    "güvenlik kamerası 2024 model", "güvenlik için 349 TL ödedim", "ccv nedir? siparişim 400142",
])
def test_numbers_near_such_words_that_are_no_code_stay(text):
    assert mask_text(text) == text


@pytest.mark.parametrize("text", [
    "TCKN 10000000146", "tc kimlik no:10000000146.", f"kimlik numaram {TCKNS[1]}", f"T.C. {TCKNS[2][:3]} {TCKNS[2][3:6]} {TCKNS[2][6:]}",
])
def test_turkish_id_numbers_are_masked(text):
    masked = mask_sensitive(text)
    assert masked.kinds == ("tckn",)
    assert not any(tckn in digits(masked.text) for tckn in TCKNS)


def test_eleven_digits_that_fail_the_tckn_checksum_stay():
    assert mask_text("numara 10000000147") == "numara 10000000147"
    assert mask_text("numara 01234567890") == "numara 01234567890"


@pytest.mark.parametrize("text", [
    "IBAN: TR33 0006 1005 1978 6457 8413 26", "ibanım tr330006100519786457841326'dır", "TR33-0006-1005-1978-6457-8413-26",
    "Tr33 0006 1005 1978 6457 8413 26 adına", "ＴＲ３３０００６１００５１９７８６４５７８４１３２６", "TR 33 0006 1005 1978 6457 8413 26",
    "hesap:DE89 3704 0044 0532 0130 00", "GB29 NWBK 6016 1331 9268 19",
])
def test_ibans_are_masked_any_case_with_or_without_spaces(text):
    masked = mask_sensitive(text)
    assert masked.kinds == ("iban",), masked
    assert "0006" not in digits(masked.text) and "3704" not in digits(masked.text) and "6016" not in digits(masked.text)


def test_an_iban_with_wrong_check_digits_stays():
    assert mask_text("TR34 0006 1005 1978 6457 8413 26") == "TR34 0006 1005 1978 6457 8413 26"


KEEP = [
    "400142", "#400142", "400142'nin", "sipariş no:400142", "IADE-7014", "iade 7015", "ali.veli@example.com",
    "ayse1985@gmail.com", "0532 123 45 67", "+90 532 1234567", "5321234567", "05321234567", "(0532) 123-4567",
    "+90 552 177 71 11", "1.249,90 TL", "349 TL", "₺1.299", "12.05.2026", "12/05/2026", "2026-05-12",
    "son dört hanesi 4567", "0850 000 00 00", "SKT-2026-000001", "saat 14:30", "3 adet 42 numara",
]


@pytest.mark.parametrize("text", KEEP)
def test_order_numbers_rma_codes_emails_phones_prices_and_dates_stay(text):
    assert mask_sensitive(text).kinds == ()
    assert mask_text(f"merhaba {text} teşekkürler") == f"merhaba {text} teşekkürler"


def test_tracking_numbers_are_no_tckn():
    from tests.conftest import DEMO

    numbers = [order["tracking_no"] for order in DEMO["orders"] if order.get("tracking_no")]
    for number in numbers:
        for text in (f"kargo takip numaram {number}", f"takip no: {number}", f"tracking number {number}"):
            assert mask_text(text) == text
    assert mask_text("TC kimlik 36920336394") == "TC kimlik [gizlendi: TCKN]"  # a tracking number that passes the checksum


def test_other_countries_ibans_only_as_written():
    norwegian = next(iban for iban in (iban_from("NO", f"{n:011d}") for n in range(86011117947, 86011118947))
                     if luhn_check_digit(iban[2:-1]) != iban[-1])  # its digits are no card number
    assert mask_text(f"hesabım {norwegian}") == "hesabım [gizlendi: IBAN]"
    assert mask_text(f"sipariş no {norwegian[2:]}") == f"sipariş no {norwegian[2:]}"
    assert mask_text(f"hesapno{norwegian[2:]}") == f"hesapno{norwegian[2:]}"
    assert mask_text("hesap:DE89 3704 0044 0532 0130 00") == "hesap:[gizlendi: IBAN]"


def test_a_message_with_everything_keeps_what_is_no_secret():
    text = (f"400142 nolu siparişim için kartım 4111-1111-1111-1111 cvv 123, TC {TCKNS[0]}, "
            f"iade IBAN TR33 0006 1005 1978 6457 8413 26, mail ali@example.com, tel 0532 123 45 67")
    masked = mask_sensitive(text)
    assert masked.text == ("400142 nolu siparişim için kartım [gizlendi: kart] cvv [gizlendi: CVV], TC [gizlendi: TCKN], "
                           "iade IBAN [gizlendi: IBAN], mail ali@example.com, tel 0532 123 45 67")
    assert masked.kinds == ("card", "cvv", "tckn", "iban")


@pytest.mark.parametrize("text", ["kartım 4111111111111111 cvv 123 12/27", "TR330006100519786457841326", "merhaba",
                                  "cvv 123, kapıda 4567 numaralı daire", "cvv276 ile 148 adet", "4111/1111/1111/1111 1227 123"])
def test_masking_twice_changes_nothing_more(text):
    assert mask_text(mask_text(text)) == mask_text(text)


def test_not_text_is_left_alone():
    assert mask_sensitive("").kinds == () and mask_sensitive(None).text is None


def test_values_keep_signed_tokens_and_urls_are_read_decoded():
    token = "eyJhbGciOiJIUzI1NiJ9.4111111111111111.sig"
    assert mask_values({"customer_token": token, "note": ["4111111111111111", 3]}) == \
        {"customer_token": token, "note": ["[gizlendi: kart]", 3]}
    assert "4111" not in mask_url("https://kuzey.example/odeme?kart=4111%201111%201111%201111&x=1")
    assert "4111" not in mask_url("https://kuzey.example/odeme?kart=4111+1111+1111+1111")
    assert mask_url("https://kuzey.example/urun/400142?ref=a%20b") == "https://kuzey.example/urun/400142?ref=a%20b"


@pytest.mark.parametrize("phone, shown", [
    ("0532 123 45 67", "**** *** ** 67"), ("+90 532 1234567", "+** *** *****67"), ("5321234567", "********67"), ("", ""),
])
def test_phones_for_agents_keep_only_their_last_digits(phone, shown):
    assert mask_phone(phone) == shown


def test_a_phone_keeps_at_most_four_digits():
    assert mask_phone("+90 552 177 71 11", keep=4) == "+** *** *** 71 11"
    assert digits(mask_phone("0532 123 45 67", keep=9)) == "4567"


# --- properties --------------------------------------------------------------------------------
def digit_strings(size: int):
    return st.lists(st.integers(0, 9), min_size=size, max_size=size).map(lambda ds: "".join(map(str, ds)))


cards = st.tuples(st.integers(1, 9), st.integers(13, 19).flatmap(lambda n: digit_strings(n - 2))).map(
    lambda parts: f"{parts[0]}{parts[1]}" + luhn_check_digit(f"{parts[0]}{parts[1]}"))
tckns = st.tuples(st.integers(1, 9), digit_strings(8)).map(lambda parts: tckn_from(f"{parts[0]}{parts[1]}"))
tr_ibans = digit_strings(22).map(lambda bban: iban_from("TR", bban))

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
SEPARATORS = st.sampled_from(["", " ", "-", ".", "\u00a0"])


@st.composite
def written(draw, secret: str, first_group_at_least: int = 1) -> str:
    """`secret` as a shopper might write it: any grouping, separators, digits and letter case."""
    cuts = sorted(draw(st.sets(st.integers(first_group_at_least, len(secret) - 1), max_size=len(secret) // 2)))
    groups = [secret[a:b] for a, b in zip([0] + cuts, cuts + [len(secret)])]
    text = groups[0]
    for group in groups[1:]:
        text += draw(SEPARATORS) + group
    digit_style = draw(st.sampled_from(["ascii", "full_width", "arabic_indic", "mixed"]))
    styled = []
    for ch in text:
        style = draw(st.sampled_from(["ascii", "full_width", "arabic_indic"])) if digit_style == "mixed" else digit_style
        styled.append({"full_width": FULL_WIDTH, "arabic_indic": ARABIC_INDIC}.get(style, {}).get(ch, ch))
    text = "".join(styled)
    case = draw(st.sampled_from([str.upper, str.lower, str.title]))
    return case(text[:2]) + text[2:] if text[:2].isalpha() else text


# Around the secret: any words without digits (letters of both languages, punctuation, spaces);
# order numbers, RMA codes and e-mails elsewhere in the same message, set apart by commas.
noise = st.text(st.sampled_from(list("abcçdefgğhıijklmnoöprsştuüvyzABCÇĞİIÖŞÜXQW :;,!?()'\"-_*+=#@\n")), max_size=25)
keepers = st.lists(st.sampled_from(["400142", "#400308", "IADE-7014", "iade-7015", "ali.veli@example.com",
                                    "destek+iade@kuzeymarket.example"]), max_size=3)


@st.composite
def message_with(draw, secrets, first_group_at_least: int = 1):
    secret = draw(secrets)
    before, after = draw(keepers), draw(keepers)
    text = draw(noise) + draw(written(secret, first_group_at_least)) + draw(noise)
    return secret, before + after, ", ".join(before + [text] + after)


def assert_masked(secret: str, kept, text: str, kind: str) -> None:
    masked = mask_sensitive(text)
    assert digits(secret) not in digits(masked.text), (text, masked.text)
    assert kind in masked.kinds or "iban" in masked.kinds  # "no5727027606915" may be a Norwegian IBAN too
    for value in kept:
        assert value in masked.text


@PROPERTIES
@given(message_with(cards))
@example(("4111111111111111", ["400142"], "400142, kartım:4111111111111111,"))
def test_a_card_number_never_survives(case):
    assert_masked(*case, "card")


@PROPERTIES
@given(cards.filter(lambda card: len(card) == 16), st.sampled_from(["/", " / ", " "]), st.sampled_from([None, 0, 1, 2]),
       noise, noise)
def test_a_card_in_groups_of_four_over_slashes_or_a_line_break_never_survives(card, separator, line_break_after, before, after):
    separators = [separator] * 3
    if line_break_after is not None:
        separators[line_break_after] = "\n"
    groups = [card[i:i + 4] for i in range(0, 16, 4)]
    text = f"{before} {groups[0]}" + "".join(sep + group for sep, group in zip(separators, groups[1:])) + f" {after}"
    masked = mask_sensitive(text)
    assert card not in digits(masked.text) and "card" in masked.kinds, (text, masked.text)


@PROPERTIES
@given(message_with(tckns))
def test_a_tckn_never_survives(case):
    assert_masked(*case, "tckn")


@PROPERTIES
@given(message_with(tr_ibans, first_group_at_least=2))
def test_a_tr_iban_never_survives(case):
    assert_masked(*case, "iban")


phones = st.one_of(
    digit_strings(9).map(lambda d: f"05{d[0:2]} {d[2:5]} {d[5:7]} {d[7:9]}"),
    digit_strings(9).map(lambda d: f"+90 5{d[0:2]} {d[2:9]}"),
    digit_strings(9).map(lambda d: f"5{d}"),
    digit_strings(9).map(lambda d: f"05{d}"),
    digit_strings(9).map(lambda d: f"+90 (5{d[0:2]}) {d[2:5]} {d[5:7]} {d[7:9]}"),
)
prices_and_dates = st.one_of(
    st.integers(1, 99999).map(lambda n: f"{n:,} TL".replace(",", ".")),
    st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2020, 2030)).map(lambda t: f"{t[0]:02d}.{t[1]:02d}.{t[2]}"),
    st.tuples(st.integers(1, 28), st.integers(1, 12), st.integers(2020, 2030)).map(lambda t: f"{t[0]:02d}/{t[1]:02d}/{t[2]}"),
)
no_secrets = st.lists(st.one_of(phones, prices_and_dates, st.sampled_from(KEEP),
                                st.integers(100000, 999999).map(lambda n: f"#{n}"),
                                st.integers(1000, 99999).map(lambda n: f"IADE-{n}")), min_size=1, max_size=6)


@PROPERTIES
@given(no_secrets, st.sampled_from([", ", " ve ", "; ", " and "]))
def test_phones_order_numbers_prices_and_dates_are_never_masked(values, joiner):
    text = joiner.join(values)
    assert mask_sensitive(text).text == text


@PROPERTIES
@given(st.text(max_size=60))
def test_any_text_is_masked_without_error_and_masking_again_changes_nothing(text):
    masked = mask_sensitive(text)
    assert (masked.text == text) == (masked.kinds == ())
    assert mask_text(masked.text) == masked.text


# --- where the masking is applied (the entrances) -----------------------------------------------
def test_the_rest_channel_masks_the_message_and_its_metadata_before_rasa_reads_them():
    from bot.channels import HonestRestInput

    token = "header.4111111111111111.signature"
    request = SimpleNamespace(json={"sender": "s", "message": "kartım 4111 1111 1111 1111 cvv 123",
                                    "metadata": {"page_url": "https://x/?k=4111111111111111", "customer_token": token}})
    channel = HonestRestInput()
    assert channel._extract_message(request) == "kartım [gizlendi: kart] cvv [gizlendi: CVV]"
    assert channel.get_metadata(request) == {"page_url": "https://x/?k=[gizlendi: kart]", "customer_token": token}


def test_the_rest_channel_believes_a_client_address_only_with_rasas_token(monkeypatch, tmp_path):
    import bot.channels
    from bot.channels import HonestRestInput
    from bot.settings import Settings

    monkeypatch.setattr(bot.channels, "get_settings", lambda: Settings(state_dir=tmp_path, rasa_token="the-token"))

    def metadata(args, **body):
        request = SimpleNamespace(json={"sender": "s", "message": "hi", "metadata": body}, args=args, remote_addr="",
                                  ip="198.51.100.7")
        return HonestRestInput().get_metadata(request)

    faked = {"client_address": "203.0.113.9", "language": "tr"}
    assert metadata({"token": "the-token"}, **faked) == faked  # the bridge
    for args in ({}, {"token": "wrong"}, {"token": ""}, {"token": "the-token "}):
        assert metadata(args, **faked) == {"client_address": "198.51.100.7", "language": "tr"}
    assert metadata({}, client_address=None) == {"client_address": "198.51.100.7"}
    assert metadata({}, language="en") == {"language": "en"}  # none named: the actions count the conversation


def test_the_shoppers_page_url_and_the_agents_texts_are_masked():
    from bot.desk.agents import text_field
    from bot.desk.shoppers import clean_metadata

    metadata = clean_metadata({"metadata": {"page_url": "https://x/odeme?kart=4111%201111%201111%201111", "language": "tr"}})
    assert "4111" not in metadata["page_url"] and metadata["language"] == "tr"
    assert text_field({"text": " IBAN'ınız TR33 0006 1005 1978 6457 8413 26 mi? "}) == "IBAN'ınız [gizlendi: IBAN] mi?"


def test_the_customer_panel_never_shows_the_whole_phone(seeded_db_url):
    from actions.store.database import engine_for
    from actions.store.sql_store import SqlStore
    from bot.desk.customers import CustomerDirectory
    from tests.conftest import DEMO

    directory = CustomerDirectory(SqlStore.on(engine_for(seeded_db_url)))
    for customer in DEMO["customers"][:5]:
        shown = directory.context(customer["id"])["customer"]
        phone_digits = digits(customer["phone"])
        assert phone_digits not in digits(str(shown))
        assert shown["phone_masked"].endswith(customer["phone"][-5:]) and digits(shown["phone_masked"]) == phone_digits[-4:]
