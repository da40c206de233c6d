"""What the follow-up e-mail and its pages say, Turkish first, English second.

Plain strings with `{placeholders}`; callers escape values for HTML.
"""
from typing import Dict

TEXTS: Dict[str, Dict[str, str]] = {
    "tr": {
        # The e-mail.
        "subject": "{order_no} numaralı siparişiniz nasıldı?",
        "greeting": "Merhaba {first_name},",
        "delivered": "{order_no} numaralı siparişiniz teslim edildi. Umarız her şey yolundadır.",
        "question": "Siparişiniz ve hizmetimiz nasıldı? Bir dakikanızı ayırıp bize puan verir misiniz?",
        "quick_scores": "Siparişinize 1 (çok kötü) ile 5 (çok iyi) arasında bir puan verin:",
        "button": "Değerlendir",
        "thanks_signature": "Teşekkürler,\nKuzey Market Müşteri Hizmetleri",
        "footer": "Bu e-postayı Kuzey Market'teki {order_no} numaralı siparişiniz için gönderdik.",
        "unsubscribe_line": "Bu tür e-postaları artık almak istemiyorsanız abonelikten çıkın:",
        "unsubscribe_link": "Abonelikten çık",
        # The feedback page.
        "feedback_title": "Siparişinizi değerlendirin",
        "feedback_intro": "{order_no} numaralı siparişiniz için görüşleriniz bizim için değerli.",
        "order_question": "Siparişiniz nasıldı?",
        "service_question": "Hizmetimiz nasıldı?",
        "scale_low": "1 = çok kötü",
        "scale_high": "5 = çok iyi",
        "comment_label": "Eklemek istedikleriniz (isteğe bağlı)",
        "submit": "Gönder",
        "already_answered": "Bu siparişi daha önce değerlendirdiniz; cevabınızı değiştirebilirsiniz.",
        "feedback_thanks_title": "Teşekkür ederiz",
        "feedback_thanks": "Değerlendirmeniz kaydedildi. Görüşleriniz hizmetimizi iyileştirmemize yardım ediyor.",
        "change_answer": "Cevabımı değiştir",
        "invalid_scores": "Lütfen hem sipariş hem hizmet için 1 ile 5 arasında bir puan seçin.",
        "comment_too_long": "Yorumunuz en fazla {limit} karakter olabilir.",
        # The unsubscribe page.
        "unsubscribe_title": "Abonelikten çık",
        "unsubscribe_question": "{email} adresine sipariş sonrası değerlendirme e-postaları artık gönderilmesin mi?",
        "unsubscribe_button": "Evet, abonelikten çık",
        "unsubscribed_title": "Abonelikten çıktınız",
        "unsubscribed": "{email} adresine artık sipariş sonrası değerlendirme e-postası göndermeyeceğiz.",
    },
    "en": {
        "subject": "How was your order {order_no}?",
        "greeting": "Hello {first_name},",
        "delivered": "Your order {order_no} has been delivered. We hope everything is fine.",
        "question": "How were your order and our service? Could you spare a minute to rate them?",
        "quick_scores": "Rate your order from 1 (very poor) to 5 (very good):",
        "button": "Rate now",
        "thanks_signature": "Thank you,\nKuzey Market Customer Service",
        "footer": "We sent you this e-mail about your order {order_no} at Kuzey Market.",
        "unsubscribe_line": "If you no longer want e-mails like this, unsubscribe:",
        "unsubscribe_link": "Unsubscribe",
        "feedback_title": "Rate your order",
        "feedback_intro": "Your opinion about your order {order_no} matters to us.",
        "order_question": "How was your order?",
        "service_question": "How was our service?",
        "scale_low": "1 = very poor",
        "scale_high": "5 = very good",
        "comment_label": "Anything you would like to add (optional)",
        "submit": "Send",
        "already_answered": "You have already rated this order; you can change your answer.",
        "feedback_thanks_title": "Thank you",
        "feedback_thanks": "Your rating has been saved. Your opinion helps us improve our service.",
        "change_answer": "Change my answer",
        "invalid_scores": "Please choose a score from 1 to 5 for both the order and the service.",
        "comment_too_long": "Your comment can be at most {limit} characters long.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_question": "Stop sending follow-up e-mails after orders to {email}?",
        "unsubscribe_button": "Yes, unsubscribe",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed": "We will no longer send follow-up e-mails after orders to {email}.",
    },
}

# A link that does not check out: we cannot know the reader's language, so both.
BAD_LINK_TITLE = "Geçersiz bağlantı / Invalid link"
BAD_LINK = {
    "tr": "Bu bağlantı geçersiz ya da süresi dolmuş. Lütfen e-postadaki bağlantıyı eksiksiz açın; "
          "sorun sürerse sitemizdeki canlı destekten bize yazın.",
    "en": "This link is invalid or has expired. Please open the whole link from the e-mail; "
          "if it still fails, write to us in the live chat on our site.",
}


def text(language: str, key: str, **values) -> str:
    return TEXTS.get(language, TEXTS["tr"])[key].format(**values)
