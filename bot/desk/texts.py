"""What the bridge itself says to shoppers (Turkish and English), and its error messages."""
from __future__ import annotations

from typing import Dict, List, Optional

TEXTS: Dict[str, Dict[str, str]] = {
    "queued": {
        "tr": "Anlıyorum, sizi hemen bir müşteri temsilcimize aktarıyorum; sıra numaranız {position}, tahmini bekleme süresi yaklaşık {minutes} dakika. Bu arada yazdıklarınızın hepsi temsilcimize iletilecek, tekrar anlatmanıza gerek yok.",
        "en": "I understand, I'm passing you to one of our customer service agents. You are number {position} in the queue; the estimated wait is about {minutes} minutes. Everything you've written will be shared with the agent, so you won't need to repeat yourself.",
    },
    "queued_no_agent": {
        "tr": "Anlıyorum, sizi bir müşteri temsilcimize aktarıyorum. Şu an tüm temsilcilerimiz meşgul; sıra numaranız {position}, ilk boşalan temsilcimiz size dönecek. Yazdıklarınızın hepsi temsilcimize iletilecek.",
        "en": "I understand, I'm passing you to a customer service agent. All our agents are busy right now; you are number {position} in the queue and the first free agent will be with you. Everything you've written will be shared with them.",
    },
    "still_queued": {
        "tr": "Mesajınızı aldım, temsilcimize ileteceğim; sıra numaranız {position}.",
        "en": "I've got your message and will pass it on to the agent. You are number {position} in the queue.",
    },
    "agent_joined": {"tr": "{agent} sohbete katıldı.", "en": "{agent} has joined the chat."},
    "transferred": {
        "tr": "Sizi konuyla daha iyi ilgilenebilecek bir meslektaşıma aktarıyorum; yazdıklarınız onunla da paylaşılıyor.",
        "en": "I'm transferring you to a colleague who can help better; your conversation is shared with them.",
    },
    "agent_lost": {
        "tr": "Temsilcimizin bağlantısı koptu, özür dileriz. Sizi sıranın en başına alıp başka bir temsilcimize aktarıyorum.",
        "en": "Our agent's connection dropped, sorry. I'm putting you at the front of the queue for another agent.",
    },
    "closed": {
        "tr": "Temsilcimiz sohbeti sonlandırdı. Size nasıl yardımcı olduğumuzu 1 (hiç memnun değilim) ile 5 (çok memnunum) arasında puanlar mısınız?",
        "en": "Our agent has closed the chat. How satisfied are you with our help, from 1 (not at all) to 5 (very)?",
    },
    "closed_no_survey": {
        "tr": "Temsilcimiz sohbeti sonlandırdı. Başka bir konuda yardımcı olabilir miyim?",
        "en": "Our agent has closed the chat. Is there anything else I can help with?",
    },
    "ask_csat": {
        "tr": "Yardımcı olabildiysem ne mutlu! Bu görüşmeden ne kadar memnun kaldığınızı 1 (hiç memnun değilim) ile 5 (çok memnunum) arasında puanlar mısınız?",
        "en": "Glad I could help! How satisfied are you with this conversation, from 1 (not at all) to 5 (very)?",
    },
    "ask_nps": {
        "tr": "Son bir soru: Kuzey Market'i bir arkadaşınıza ya da yakınınıza tavsiye etme olasılığınız nedir? 0 (hiç) ile 10 (kesinlikle) arasında bir puan seçin.",
        "en": "One last question: how likely are you to recommend Kuzey Market to a friend? Pick a score from 0 (not at all) to 10 (definitely).",
    },
    "ask_nps_reason": {
        "tr": "Teşekkürler. Bu puanı vermenizin en önemli nedeni nedir? Neyi daha iyi yapabiliriz?",
        "en": "Thank you. What is the main reason for your score? What could we do better?",
    },
    "thanks_nps": {"tr": "Çok teşekkür ederiz, bu bizim için çok değerli!", "en": "Thank you so much, that means a lot to us!"},
    "skip": {"tr": "Geç", "en": "Skip"},
    "handed_back": {
        "tr": "Sizi tekrar dijital asistanımıza aktarıyorum. Başka bir konuda yardımcı olabilir miyim?",
        "en": "I'm handing you back to our digital assistant. Is there anything else I can help with?",
    },
    "ask_comment": {
        "tr": "Teşekkürler! İsterseniz birkaç kelimeyle yorumunuzu da yazabilirsiniz.",
        "en": "Thank you! If you like, add a few words about your experience.",
    },
    "thanks_rating": {"tr": "Görüşünüz için teşekkür ederiz.", "en": "Thank you for your feedback."},
    "after_hours_email": {
        "tr": "Şu an mesai saatlerimiz dışındayız (hafta içi 09:00-22:00, hafta sonu 10:00-18:00), özür dileriz. Talebinizi kaydettim; temsilcimiz {email} adresinize e-postayla dönüş yapacak.",
        "en": "We are outside our support hours right now (weekdays 09:00-22:00, weekends 10:00-18:00), sorry. I've recorded your request; an agent will reply by e-mail to {email}.",
    },
    "after_hours_ask_email": {
        "tr": "Şu an mesai saatlerimiz dışındayız (hafta içi 09:00-22:00, hafta sonu 10:00-18:00), özür dileriz. Talebinizi kaydedip e-postayla dönüş yapabilmemiz için e-posta adresinizi yazar mısınız?",
        "en": "We are outside our support hours right now (weekdays 09:00-22:00, weekends 10:00-18:00), sorry. Please write your e-mail address so that an agent can reply to your request by e-mail.",
    },
    "ask_email_again": {
        "tr": "Bu bir e-posta adresine benzemiyor. Örneğin ad@ornek.com şeklinde yazar mısınız? (Vazgeçmek için \"vazgeç\" yazabilirsiniz.)",
        "en": "That doesn't look like an e-mail address. Please write it like name@example.com (or \"cancel\" to skip).",
    },
    "ticket_cancelled": {
        "tr": "Peki, kaydı e-postasız bıraktım. Dilediğiniz zaman destek@kuzeymarket.example adresine yazabilirsiniz.",
        "en": "All right, I've left the request without an e-mail. You can always write to destek@kuzeymarket.example.",
    },
    "assistant_unavailable": {
        "tr": "Üzgünüm, dijital asistanımız şu anda yanıt veremiyor.",
        "en": "Sorry, our digital assistant can't answer right now.",
    },
    "no_comment": {"tr": "Yorum yok", "en": "No comment"},
    "database_unavailable": {
        "tr": "Şu anda sistemimizde teknik bir sorun var, özür dileriz. Mesajınızı aldık ve sakladık, kaybolmayacak; sorun giderilir giderilmez bir müşteri temsilcimiz sohbetinizi devralacak.",
        "en": "We are having a technical problem right now, sorry. We have received and kept your message, it won't be lost; as soon as the problem is fixed a customer service agent will take over your chat.",
    },
    "sensitive_data_masked": {
        "tr": "Güvenliğiniz için mesajınızdaki kart numarası, güvenlik kodu (CVV), T.C. kimlik numarası ya da IBAN gibi bilgileri gizledik; bu bilgiler kaydedilmedi ve kimseyle paylaşılmadı. Lütfen bu tür bilgileri sohbette paylaşmayın: Kuzey Market bunları sizden sohbette hiçbir zaman istemez.",
        "en": "For your security we have hidden the card number, security code (CVV), Turkish ID number or IBAN in your message; it was not stored or shared with anyone. Please don't share details like these in the chat: Kuzey Market never asks for them here.",
    },
    "assistant_back": {
        "tr": "Dijital asistanımız yeniden hizmette ve şu an müsait temsilcimiz yok; kaldığımız yerden asistanımızla devam edebilirsiniz. Bir temsilci isterseniz yazmanız yeterli.",
        "en": "Our digital assistant is back and no agent is free right now, so you can carry on with the assistant. If you'd like a person, just say so.",
    },
}

ERRORS: Dict[str, Dict[str, str]] = {
    "no_session": {"tr": "Önce oturum açılmalı (session_request).", "en": "Start a session first (session_request)."},
    "invalid_message": {"tr": "Mesaj anlaşılamadı: boş olmayan bir metin gönderin.", "en": "Message not understood: send non-empty text."},
    "message_too_long": {"tr": "Mesajınız çok uzun; en fazla {limit} karakter yazabilirsiniz.", "en": "Your message is too long; the limit is {limit} characters."},
    "rate_limited": {"tr": "Çok hızlı mesaj gönderiyorsunuz; lütfen biraz yavaşlayın.", "en": "You are sending messages too fast; please slow down."},
    "server_error": {"tr": "Bir sorun oluştu, mesajınız işlenemedi. Lütfen tekrar deneyin.", "en": "Something went wrong and your message was not processed. Please try again."},
    "too_many_connections": {"tr": "Bu adresten çok fazla bağlantı var.", "en": "Too many connections from this address."},
}

CANCEL_WORDS = {"vazgec", "vazgeç", "iptal", "cancel", "skip", "hayir", "hayır"}


def say(key: str, language: str, **values: object) -> str:
    texts = TEXTS[key]
    return texts.get(language, texts["tr"]).format(**values)


def error(code: str, language: str, **values: object) -> Dict[str, str]:
    texts = ERRORS[code]
    return {"code": code, "message": texts.get(language, texts["tr"]).format(**values)}


SKIP_WORDS = {"yorum yok", "no comment", "geç", "gec", "skip", "yok", "hayır", "hayir", "no", "-"}


def is_skip(text: str) -> bool:
    """The shopper declined to write a comment or a reason."""
    return text.strip().lower().rstrip(".!") in SKIP_WORDS


def quick_reply(title: str, payload: Optional[str] = None) -> Dict[str, str]:
    """A quick reply in Rasa's socket shape; its payload is what the shopper's tap sends."""
    return {"content_type": "text", "title": title, "payload": title if payload is None else payload}


def rating_replies() -> List[Dict[str, str]]:
    return [quick_reply(label, str(score)) for score, label in enumerate(("1 😞", "2 🙁", "3 😐", "4 🙂", "5 😀"), start=1)]
