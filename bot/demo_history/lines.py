"""What people say in the demo history, in Turkish and English.

Shoppers write as they do in a shop's chat (short, without Turkish letters, in capitals when
angry); the assistant's answers come from the knowledge base (data/faq/) and the actions' own
texts (actions/texts.py), so only what those do not cover is written here: shoppers' lines,
agents' chat and ticket answers, survey comments. `{name}` is the customer's first name,
`{order_no}` an order of theirs, `{agent}` the agent's first name, `{code}` the ticket's code.
"""
from __future__ import annotations

from typing import Dict, List

from bot.contract import HUMAN_BUTTON

Lines = Dict[str, List[str]]

GREETINGS: Lines = {
    "tr": ["merhaba", "slm", "Merhabalar", "iyi günler", "selam", "mrb", "Merhaba, iyi akşamlar"],
    "en": ["hi", "hello", "Hi there", "good morning"],
}
THANKS: Lines = {
    "tr": ["teşekkürler", "tşk", "teşekkür ederim", "tamamdır sağolun", "çok teşekkürler 🙏", "eyvallah", "tamam tsk"],
    "en": ["thanks", "thank you!", "great, thanks", "ok thank you"],
}
ASSISTANT_GREETING = {
    "tr": "Merhaba! Ben Kuzey Market'in dijital asistanıyım. Sipariş, kargo, ödeme ve iade sorularınızda yardımcı olabilirim. Nasıl yardımcı olabilirim?",
    "en": "Hello! I'm Kuzey Market's digital assistant. I can help with orders, shipping, payments and returns. How can I help?",
}
ASSISTANT_WELCOME = {
    "tr": "Rica ederim! Başka bir sorunuz olursa buradayım.",
    "en": "You're welcome! I'm here if you have any other questions.",
}
ASK_PROOF = {
    "tr": "Güvenliğiniz için siparişte kullandığınız e-posta adresini ya da telefon numaranızın son 4 hanesini yazar mısınız?",
    "en": "For your security, please write the e-mail address used for the order or the last 4 digits of its phone number.",
}

ORDER_STATUS: Lines = {
    "tr": ["siparişim nerede", "siparisim nerde", "kargom ne zaman gelir", "siparişim ne durumda",
           "{order_no} nolu sipariş ne alemde", "siparişim kargoya verildi mi", "kargo takip no alabilir miyim",
           "SİPARİŞİM HALA GELMEDİ", "siparis durumu", "verdiğim sipariş ne zaman gelir"],
    "en": ["where is my order", "order status please", "when will my order arrive", "has my order shipped?",
           "can I get the tracking number"],
}
ORDER_NUMBER: Lines = {
    "tr": ["{order_no}", "#{order_no}", "sipariş no {order_no}", "{order_no} nolu"],
    "en": ["{order_no}", "#{order_no}", "order {order_no}"],
}
RETURN_REQUEST: Lines = {
    "tr": ["iade etmek istiyorum", "ürünü iade edicem", "İADE ETMEK İSTİYORUM", "iade nasıl yapılır",
           "aldığım ayakkabı olmadı geri göndermek istiyorum", "yollicam bunu geri"],
    "en": ["I want to return an item", "how do I return this", "I'd like to send this back"],
}
RETURN_STATUS: Lines = {
    "tr": ["iadem ne oldu", "iade durumu", "iade ettiğim ürünün parası ne zaman yatar", "iade talebim ne durumda"],
    "en": ["what's the status of my return", "when will I get my refund", "return status"],
}
CANCEL_ORDER: Lines = {
    "tr": ["siparişimi iptal etmek istiyorum", "sipariş iptal", "vazgeçtim iptal edebilir miyiz", "iptal etcem siparisi"],
    "en": ["I want to cancel my order", "cancel order please", "can I still cancel"],
}
AFFIRM: Lines = {"tr": ["evet", "evet lütfen", "olur"], "en": ["yes", "yes please"]}
REQUEST_HUMAN: Lines = {
    "tr": [HUMAN_BUTTON["tr"].lower(), "canlı destek", "temsilciye bağlar mısın",
           "bir insanla konuşabilir miyim", "yetkili biriyle görüşmek istiyorum"],
    "en": [HUMAN_BUTTON["en"], "can I speak to a human", "live support please"],
}
FRUSTRATED: Lines = {
    "tr": ["3 gündür bekliyorum hala gelmedi!!!", "BU NE BİÇİM HİZMET", "artık yeter, bir yetkiliyle görüşmek istiyorum",
           "şikayetvara yazacağım böyle olmaz", "kimse cevap vermiyor saçmalık bu", "param gitti ürün yok!!"],
    "en": ["This is ridiculous, I've been waiting a week!!!", "I WANT MY MONEY BACK",
           "I'll leave a bad review if this isn't fixed"],
}
# What the assistant does not know (some are in the knowledge base in other words: the editors' inbox).
MISSED: Lines = {
    "tr": ["kupon kodu çalışmıyor", "hediye paketi yapıyor musunuz", "istanbulda mağazanız var mı",
           "bu ürün ne zaman stoğa girer", "beden tablosu nerede", "indirim kodu nereye yazılıyor",
           "puanlarımı nasıl kullanırım", "kapıda ödeme var mı", "faturayı şirket adına kesebilir misiniz",
           "üyeliğimi nasıl silerim", "asdasd", "yurt dışına gönderim var mı"],
    "en": ["my coupon code doesn't work", "do you ship to Germany?", "is there a gift wrap option",
           "when will this be back in stock", "how do I delete my account"],
}
# Misses that fit an existing topic: the editors added them as new question variants.
MISSED_TOPICS = {"kapıda ödeme var mı": "payment_methods", "faturayı şirket adına kesebilir misiniz": "invoice",
                 "yurt dışına gönderim var mı": "shipping_time", "indirim kodu nereye yazılıyor": "payment_methods"}
OUT_OF_SCOPE: Lines = {
    "tr": ["hava nasıl", "bana fıkra anlat", "en iyi telefon hangisi", "sen robot musun"],
    "en": ["what's the weather like", "tell me a joke", "are you a bot?"],
}
OUT_OF_SCOPE_ANSWER = {
    "tr": "Bu konuda yardımcı olamıyorum; sipariş, kargo, ödeme ve iade sorularınızı yanıtlayabilirim.",
    "en": "I can't help with that; I can answer questions about orders, shipping, payments and returns.",
}

COMPLAINTS: Dict[str, Lines] = {
    "kargo": {
        "tr": ["kargom 1 haftadır gelmedi, şikayetçiyim", "kurye paketi kapıya bırakıp gitmiş, kaybolmuş",
               "kargo çok gecikti şikayet etmek istiyorum", "paket ezik geldi kargo hiç özen göstermemiş",
               "teslim edildi görünüyor ama bana gelmedi"],
        "en": ["my parcel is a week late, I want to complain", "it says delivered but I never got it",
               "the box arrived crushed"],
    },
    "urun": {
        "tr": ["ürün kırık geldi", "aldığım blender 2 günde bozuldu", "ürünün rengi sitedekinden farklı",
               "kulaklığın bir tarafı çalışmıyor", "eksik parça çıktı kutudan"],
        "en": ["the item arrived broken", "the headphones stopped working after two days", "a part is missing"],
    },
    "iade": {
        "tr": ["iade ettiğim ürünün parası hala yatmadı", "iade kargom depoya ulaştı ama 2 haftadır ses yok",
               "iademi reddettiniz ama ürün kusurluydu"],
        "en": ["I still haven't got my refund", "my return reached you two weeks ago and nothing happened"],
    },
    "odeme": {
        "tr": ["kartımdan iki kere çekim yapılmış", "taksit yapılmadı tek çekim olmuş", "faturam hatalı kesilmiş"],
        "en": ["I was charged twice", "the invoice has the wrong address"],
    },
    "hizmet": {
        "tr": ["temsilciniz çok kaba davrandı", "3 gündür kimse dönmedi", "telefonla ulaşamıyorum kimse açmıyor"],
        "en": ["nobody answered my e-mail for three days", "your agent was rude"],
    },
    "diger": {
        "tr": ["sitede fiyat farklı sepette farklı çıkıyor", "kampanya indirimi sepete yansımadı"],
        "en": ["the campaign discount wasn't applied", "the price in the basket is different"],
    },
}
COMPLAINT_WEIGHTS = {"kargo": 35, "urun": 20, "iade": 18, "odeme": 11, "hizmet": 8, "diger": 8}

# --- agents in a live chat -------------------------------------------------------------------
AGENT_CHAT: Dict[str, Lines] = {
    "shipping": {
        "tr": ["Kargo firmasıyla görüştüm; paketiniz aktarma merkezinde bekliyormuş, yarın dağıtıma çıkacak.",
               "Gönderiniz yanlış şubeye gitmiş, yeniden yönlendirildi. 1-2 gün içinde elinizde olur.",
               "Paketinizi kargo firmasında kayıp olarak işaretlettim; aynı ürünü bugün yeniden gönderiyoruz."],
        "en": ["I've spoken to the carrier: your parcel is at the hub and goes out for delivery tomorrow.",
               "It went to the wrong branch and has been rerouted; you'll have it in 1-2 days."],
    },
    "returns": {
        "tr": ["İade talebinizi kontrol ettim, ürün depomuza ulaşmış; incelemesi yarın tamamlanacak.",
               "İadeniz onaylandı, tutar 2-10 iş günü içinde kartınıza yansır.",
               "Bu ürün için değişim de yapabiliyoruz; isterseniz yeni bedeni hemen gönderelim."],
        "en": ["Your return reached our warehouse; the inspection will be done tomorrow.",
               "Your return is approved; the refund reaches your card within 2-10 business days."],
    },
    "payment": {
        "tr": ["İkinci çekim bir provizyon; 1-3 iş günü içinde kendiliğinden düşecek.",
               "Faturanızı düzelttim, yenisi e-posta adresinize gönderildi."],
        "en": ["The second charge is a pre-authorisation; it will drop within 1-3 business days.",
               "I've corrected the invoice and sent the new one to your e-mail."],
    },
    "general": {
        "tr": ["Anladım, hemen bakıyorum.", "Bu konuda size yardımcı olabilirim; kısaca anlatır mısınız?",
               "Kupon kodları sepette \"İndirim kodu\" alanına yazılıyor; kodunuzu kontrol ettim, geçerli."],
        "en": ["I see, let me check right away.", "I can help with that; could you tell me a little more?"],
    },
}
SHOPPER_IN_CHAT: Dict[str, Lines] = {
    "shipping": {"tr": ["3 gündür bekliyorum", "takip numarası hiç güncellenmiyor", "ne zaman gelir peki?"],
                 "en": ["I've been waiting for days", "the tracking hasn't updated at all"]},
    "returns": {"tr": ["paramı ne zaman alırım", "ürünü 10 gün önce gönderdim"],
                "en": ["when do I get my money", "I sent it back ten days ago"]},
    "payment": {"tr": ["kartımdan iki kere çekildi", "faturada adres yanlış"],
                "en": ["I was charged twice", "the invoice address is wrong"]},
    "general": {"tr": ["bir sorum var", "yardımcı olur musunuz"], "en": ["I have a question", "can you help me"]},
}
SHOPPER_SATISFIED: Lines = {
    "tr": ["tamam çok teşekkürler", "süpersiniz tşk", "anladım sağolun", "tamam bekliyorum"],
    "en": ["great, thank you", "ok thanks a lot", "perfect"],
}
RESOLUTION_TAGS = {"shipping": ["shipping_delay", "solved"], "returns": ["return_refund", "solved"],
                   "payment": ["payment", "solved"], "general": ["information", "solved"],
                   "missed": ["bot_misunderstood", "information"], "complaint": ["complaint", "order_issue"]}
AGENT_FOLLOW_UP = {
    "tr": "Bunu şu an hemen çözemiyorum; konuyu takibe aldım, gelişmeleri size e-postayla bildireceğiz.",
    "en": "I can't sort this out right away; I've taken it on and we'll update you by e-mail.",
}
FOLLOW_UP_NOTE: Dict[str, Lines] = {  # the agent's close note, which becomes the follow-up ticket's text
    "shipping": {"tr": ["Kargo firmasından dönüş bekleniyor, müşteriye e-postayla yazılacak."],
                 "en": ["Waiting for the carrier; we'll write to the customer by e-mail."]},
    "returns": {"tr": ["Depodan iade incelemesinin sonucu bekleniyor.", "Depodan fotoğraf istendi, takipte."],
                "en": ["Waiting for the warehouse's inspection of the return."]},
    "payment": {"tr": ["Muhasebeye iletildi; sonuç müşteriye e-postayla bildirilecek."],
                "en": ["Passed to accounting; the customer will hear by e-mail."]},
    "general": {"tr": ["Müşterinin sorusu ilgili ekibe iletildi; yanıt e-postayla verilecek."],
                "en": ["Passed to the team concerned; the answer goes out by e-mail."]},
}

# --- tickets -----------------------------------------------------------------------------------
TICKET_FIRST_REPLY: Dict[str, Lines] = {
    "kargo": {"tr": ["Merhaba {name}, yaşadığınız gecikme için özür dileriz. Kargo firmasına kayıt açtık; "
                     "gönderinizin durumunu en geç yarın size bildireceğiz.",
                     "Merhaba {name}, paketinizin teslimat kaydını kargo firmasıyla inceliyoruz. Gelişmeleri buradan yazacağım."],
              "en": ["Hello {name}, we're sorry for the delay. We've opened a case with the carrier and will update you by tomorrow."]},
    "urun": {"tr": ["Merhaba {name}, üzgünüz. Ürünün fotoğrafını bu sayfadan yanıt olarak yazabilir misiniz? "
                    "İsterseniz değişim ya da ücretsiz iade başlatabiliriz.",
                    "Merhaba {name}, ürün garanti kapsamında; size ücretsiz değişim için kargo kodu gönderiyoruz."],
             "en": ["Hello {name}, we're sorry. We can send a replacement or start a free return, whichever you prefer."]},
    "iade": {"tr": ["Merhaba {name}, iadenizi kontrol ettim; inceleme tamamlandı ve ödeme iadesi bugün başlatıldı.",
                    "Merhaba {name}, iade sürecinizi hızlandırmak için depo ekibimize ilettim."],
             "en": ["Hello {name}, I've checked your return: the inspection is done and the refund was started today."]},
    "odeme": {"tr": ["Merhaba {name}, bankayla yaptığımız kontrolde ikinci çekimin provizyon olduğu görülüyor; "
                     "birkaç iş günü içinde kartınıza iade edilecek.",
                     "Merhaba {name}, düzeltilmiş faturanızı hazırladık, e-postanıza gönderdik."],
              "en": ["Hello {name}, the second charge is a pre-authorisation and will be released within a few business days."]},
    "hizmet": {"tr": ["Merhaba {name}, yaşadığınız deneyim için içtenlikle özür dileriz. Konuyu ekip liderimize ilettik."],
               "en": ["Hello {name}, we sincerely apologise for your experience; I've passed it to our team lead."]},
    "diger": {"tr": ["Merhaba {name}, mesajınız için teşekkürler. Konuyu inceliyorum, en kısa sürede dönüş yapacağım.",
                     "Merhaba {name}, kampanya indiriminiz siparişinize tanımlandı; fark kartınıza iade edilecek."],
              "en": ["Hello {name}, thank you for writing. I'm looking into it and will get back to you shortly."]},
}
TICKET_CUSTOMER_ANSWER: Dict[str, Lines] = {
    "kargo": {"tr": ["Teşekkürler, bekliyorum.", "Hala gelmedi, ne zaman gelecek?", "Sipariş numaram {order_no}.",
                     "Kapıcıya da sordum, bırakılmamış."],
              "en": ["Thanks, I'll wait.", "Still nothing, when will it arrive?"]},
    "urun": {"tr": ["Tamam, değişim olsun lütfen.", "İade etmek istiyorum, parayı geri alayım.", "Fotoğrafını çektim, kutu da hasarlı."],
             "en": ["OK, a replacement please.", "I'd rather have a refund."]},
    "iade": {"tr": ["Teşekkürler, takip ediyorum.", "Hala hesabıma geçmedi.", "Siparişim {order_no}, iade kodunu da ekledim."],
             "en": ["Thanks, I'll keep an eye on it.", "It still hasn't reached my account."]},
    "odeme": {"tr": ["Anladım, teşekkür ederim.", "Bankam böyle bir provizyon görünmediğini söylüyor."],
              "en": ["I see, thank you.", "My bank says there's no pre-authorisation."]},
    "hizmet": {"tr": ["İlginiz için teşekkürler.", "Umarım tekrar yaşanmaz."], "en": ["Thank you for looking into it."]},
    "diger": {"tr": ["Anladım, teşekkür ederim.", "Ne zaman düzelir?"], "en": ["Thank you.", "When will it be fixed?"]},
}
TICKET_FOLLOW_UP: Dict[str, Lines] = {
    "kargo": {"tr": ["Kargo firmasından dönüş aldık: paketiniz bugün yeniden dağıtıma çıktı.",
                     "Paketiniz kayıp olarak kayda geçti; aynı ürünü bugün yeniden gönderdik."],
              "en": ["The carrier got back to us: your parcel is out for delivery again today."]},
    "urun": {"tr": ["Değişim ürününüz bugün kargoya verildi.", "Ücretsiz iade kodunuz: 32327327; Yurtiçi Kargo şubesine teslim edebilirsiniz."],
             "en": ["Your replacement was shipped today."]},
    "iade": {"tr": ["Ödeme iadeniz bugün bankaya iletildi; 2-10 iş günü içinde kartınızda olur."],
             "en": ["Your refund was sent to the bank today; it reaches your card within 2-10 business days."]},
    "odeme": {"tr": ["Bankadan gelen yazıyı ekte bulabilirsiniz: çekim iptal edildi."],
              "en": ["The bank confirmed the charge was cancelled."]},
    "hizmet": {"tr": ["Ekip liderimiz konuyu ilgili arkadaşımızla konuştu; tekrar özür dileriz."],
               "en": ["Our team lead has spoken to the colleague; our apologies again."]},
    "diger": {"tr": ["Fiyat farkı hesabınıza iade edildi."], "en": ["The price difference has been refunded."]},
}
TICKET_RESOLVED: Lines = {
    "tr": ["Sorununuzun çözüldüğünü görmek güzel. Başka bir konuda yardımcı olabilirsek buradayız.",
           "Talebinizi çözüldü olarak kapatıyorum; yeniden yazarsanız talep tekrar açılır."],
    "en": ["Glad it's sorted. We're here if there's anything else.",
           "I'm marking this resolved; if you write again it reopens."],
}
TICKET_REOPEN: Dict[str, Lines] = {
    "kargo": {"tr": ["Paket hala gelmedi.", "Maalesef sorun devam ediyor."], "en": ["The parcel still hasn't come."]},
    "urun": {"tr": ["Gelen yeni ürün de aynı şekilde arızalı.", "Değişim ürünü hala elime ulaşmadı."],
             "en": ["The replacement has the same fault."]},
    "iade": {"tr": ["Para hala hesabıma geçmedi."], "en": ["The refund still hasn't arrived."]},
    "odeme": {"tr": ["İkinci çekim hala kartımda görünüyor."], "en": ["The second charge is still on my card."]},
    "hizmet": {"tr": ["Söylendiği gibi kimse aramadı."], "en": ["Nobody called as promised."]},
    "diger": {"tr": ["Maalesef sorun devam ediyor."], "en": ["Unfortunately the problem is still there."]},
}
TICKET_NOTES = ["Kargo firmasına tutanak açıldı.", "Muhasebeye iletildi.", "Depodan fotoğraf istendi.",
                "Müşteri VIP, öncelikli takip.", "Tedarikçiye soruldu, yanıt bekleniyor."]
# The marker a person sees on every demo ticket (an internal note; never sent to anyone).
DEMO_NOTE = ("[demo] Tanıtım verisi: bu talep `python -m bot seed --history` ile oluşturuldu. "
             "Demo data: created by `python -m bot seed --history`.")

# --- surveys -----------------------------------------------------------------------------------
CSAT_COMMENT_LOW: Lines = {
    "tr": ["temsilciye ulaşmak çok uzun sürdü", "sorunum çözülmedi", "bot hiçbir şey anlamıyor", "kargo hala gelmedi"],
    "en": ["it took too long to reach someone", "my problem wasn't solved"],
}
CSAT_COMMENT_HIGH: Lines = {
    "tr": ["çok hızlı çözüldü teşekkürler", "temsilci çok ilgiliydi", "gayet iyi", "hızlı cevap için sağolun"],
    "en": ["solved quickly, thanks", "very helpful"],
}
NPS_REASON: Lines = {
    "tr": ["kargo biraz yavaş", "fiyatlar yüksek", "iade süreci uzun", "ürün çeşidi az", "site yavaş açılıyor"],
    "en": ["shipping is a bit slow", "prices are high", "returns take long"],
}
FOLLOWUP_COMMENT_LOW: Lines = {
    "tr": ["Ürün eksik geldi.", "Kargo çok geç geldi, kutu ezikti.", "Ürün açıklamadaki gibi değil."],
    "en": ["An item was missing.", "It arrived very late and the box was crushed."],
}
FOLLOWUP_COMMENT_HIGH: Lines = {
    "tr": ["Her şey harika.", "Hızlı teslimat için teşekkürler.", "Paketleme çok özenliydi."],
    "en": ["All great.", "Thanks for the fast delivery."],
}
ANONYMOUS_EMAILS = ["deniz.k@example.com", "m.yilmaz@example.com", "ece.a@example.com", "burak.t@example.com",
                    "selin.o@example.com", "j.smith@example.com", "kerem.b@example.com", "a.demir@example.com"]
