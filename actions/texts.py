"""What the order, return and complaint flows say, in Turkish and English.

Kept in one module so wording is reviewed in one place; `say(key, language, **values)` picks the
shopper's language and fills in the values.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Dict, Iterable, List, Mapping, Optional, Union

from actions.store.types import shop_date, shop_local
from bot.contract import ORDER_DELIVERED, REASON_STORE_UNAVAILABLE, REASON_VERIFICATION_LOCKED
from bot.text import fold_words

MONTHS = {
    "tr": ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}

TEXTS = {
    # --- verification ---
    "ask_order_no": {
        "tr": "Sipariş numaranızı yazar mısınız? (6 haneli, ör. 400142)",
        "en": "Could you write your order number? (6 digits, e.g. 400142)",
    },
    "ask_order_no_pick": {
        "tr": "Hangi siparişiniz? Aşağıdan seçebilir ya da numarasını yazabilirsiniz.",
        "en": "Which order? Pick one below or write its number.",
    },
    "order_no_invalid": {
        "tr": "Sipariş numarası 6 haneli bir sayıdır (ör. 400142); sipariş onay e-postanızda yazar. Tekrar yazar mısınız? Vazgeçmek için \"vazgeç\" yazabilirsiniz.",
        "en": "An order number has 6 digits (e.g. 400142); you'll find it in your order confirmation e-mail. Could you write it again? Write \"stop\" to leave.",
    },
    "proof_invalid": {
        "tr": "Bir e-posta adresi ya da telefonunuzun son 4 hanesini yazmanız gerekiyor.",
        "en": "Please write an e-mail address or the last 4 digits of your phone number.",
    },
    "verification_failed": {
        "tr": "Bu bilgilerle eşleşen bir sipariş bulamadım. Sipariş numarasını ve e-posta/telefon bilgisini kontrol edip tekrar dener misiniz?",
        "en": "I couldn't find an order matching these details. Please check the order number and the e-mail/phone and try again.",
    },
    REASON_VERIFICATION_LOCKED: {
        "tr": "Güvenliğiniz için birkaç hatalı denemeden sonra yeni bir deneme için {wait} beklemeniz gerekiyor. Dilerseniz sizi bir müşteri temsilcisine aktarayım.",
        "en": "For your security, after several failed attempts please wait {wait} before trying again. I can connect you to a customer service agent if you like.",
    },
    REASON_STORE_UNAVAILABLE: {
        "tr": "Şu anda sipariş sistemimize ulaşamıyorum, özür dilerim. Biraz sonra tekrar deneyebilir ya da bir müşteri temsilcisiyle görüşebilirsiniz.",
        "en": "I can't reach our order system right now, sorry. You can try again in a little while or talk to a customer service agent.",
    },
    "confirm_invalid": {
        "tr": "Evet ya da hayır diye yanıtlar mısınız?",
        "en": "Could you answer yes or no?",
    },
    "misunderstood": {
        "tr": "Sizi anlayamadığım için özür dilerim. Sorunuzu kısaca baştan yazabilir ya da bir müşteri temsilcisiyle görüşebilirsiniz.",
        "en": "I'm sorry I didn't understand you. You can tell me again in a few words or talk to a customer service agent.",
    },
    "misunderstood_again": {
        "tr": "Haklısınız, size yardımcı olamadım; özür dilerim. Sizi bir müşteri temsilcisine aktarıyorum.",
        "en": "You're right, I haven't been able to help, I'm sorry. I'm passing you to a customer service agent.",
    },
    "flow_stopped": {
        "tr": "Tamam, işlemi durdurdum. Başka nasıl yardımcı olabilirim?",
        "en": "OK, I've stopped. How else can I help?",
    },
    # --- order status, one per status of the store ---
    "status_odeme_bekleniyor": {
        "tr": "{order_no} numaralı siparişiniz ödeme bekliyor. Havale/EFT ile ödeme yaptıysanız ödemeniz bize ulaşınca siparişiniz hazırlanmaya başlar. İsterseniz bu aşamada iptal de edebilirsiniz.",
        "en": "Order {order_no} is awaiting payment. If you paid by bank transfer, it will be prepared as soon as the payment reaches us. You can also still cancel it at this stage.",
    },
    "status_hazirlaniyor": {
        "tr": "{order_no} numaralı siparişiniz hazırlanıyor. Tahmini teslim tarihi: {estimated}. Bu aşamada iptal edebilir ya da teslimat adresini değiştirebilirsiniz.",
        "en": "Order {order_no} is being prepared. Estimated delivery: {estimated}. At this stage you can still cancel it or change the delivery address.",
    },
    "status_kargoya_verildi": {
        "tr": "{order_no} numaralı siparişiniz {shipped} tarihinde {carrier} ile kargoya verildi.\nTakip numarası: {tracking_no}\nTakip: {tracking_url}\nTahmini teslim: {estimated}",
        "en": "Order {order_no} was shipped with {carrier} on {shipped}.\nTracking number: {tracking_no}\nTrack it: {tracking_url}\nEstimated delivery: {estimated}",
    },
    "status_dagitimda": {
        "tr": "{order_no} numaralı siparişiniz bugün dağıtımda; {carrier} kuryesi gün içinde teslim edecek.\nTakip numarası: {tracking_no}\nTakip: {tracking_url}",
        "en": "Order {order_no} is out for delivery today; the {carrier} courier will deliver it during the day.\nTracking number: {tracking_no}\nTrack it: {tracking_url}",
    },
    f"status_{ORDER_DELIVERED}": {
        "tr": "{order_no} numaralı siparişiniz {delivered} tarihinde teslim edildi. İade hakkınız {return_deadline} tarihine kadar sürüyor.",
        "en": "Order {order_no} was delivered on {delivered}. You can return items until {return_deadline}.",
    },
    f"status_{ORDER_DELIVERED}_window_passed": {
        "tr": "{order_no} numaralı siparişiniz {delivered} tarihinde teslim edildi. 14 günlük iade süresi {return_deadline} tarihinde doldu; arıza için garanti kapsamında yardımcı olabiliriz.",
        "en": "Order {order_no} was delivered on {delivered}. The 14-day return period ended on {return_deadline}; for a fault we can help under warranty.",
    },
    "status_teslim_edilemedi": {
        "tr": "{order_no} numaralı siparişiniz {carrier} tarafından teslim edilemedi. Kargo şubesiyle takip numarası {tracking_no} ile iletişime geçebilirsiniz:\n{tracking_url}\nİsterseniz sizi bir müşteri temsilcisine aktarayım, yeniden gönderimi birlikte ayarlayalım.",
        "en": "{carrier} could not deliver order {order_no}. You can contact the carrier with tracking number {tracking_no}:\n{tracking_url}\nIf you like, I can connect you to an agent to arrange a new delivery.",
    },
    "status_iptal_edildi": {
        "tr": "{order_no} numaralı siparişiniz {cancelled} tarihinde iptal edildi. Ödeme yaptıysanız tutar bankanıza göre 2-10 iş günü içinde kartınıza yansır.",
        "en": "Order {order_no} was cancelled on {cancelled}. If you paid, the amount reaches your card within 2-10 business days depending on your bank.",
    },
    "status_iade_surecinde": {
        "tr": "{order_no} numaralı siparişinizde iade süreci devam ediyor ({returns}).",
        "en": "Order {order_no} has a return in progress ({returns}).",
    },
    "status_iade_edildi": {
        "tr": "{order_no} numaralı siparişinizin iadesi tamamlandı ({returns}). Tutar bankanıza göre 2-10 iş günü içinde kartınıza yansır.",
        "en": "The return of order {order_no} is complete ({returns}). The amount reaches your card within 2-10 business days depending on your bank.",
    },
    # --- cancellation ---
    "cancel_confirm": {
        "tr": "{order_no} numaralı siparişinizi ({items}) iptal etmemi onaylıyor musunuz?",
        "en": "Shall I cancel order {order_no} ({items})?",
    },
    "cancel_done": {
        "tr": "{order_no} numaralı siparişinizi iptal ettim. Ödeme yaptıysanız tutar 2-10 iş günü içinde kartınıza/hesabınıza iade edilir.",
        "en": "I have cancelled order {order_no}. If you paid, the amount is refunded to your card/account within 2-10 business days.",
    },
    "cancel_kept": {
        "tr": "Peki, {order_no} numaralı siparişiniz iptal edilmedi.",
        "en": "All right, order {order_no} is not cancelled.",
    },
    "cancel_shipped": {
        "tr": "{order_no} numaralı siparişiniz kargoya verildiği için artık iptal edilemiyor. Teslim aldıktan sonra 14 gün içinde ücretsiz iade edebilirsiniz; iadeyi teslimattan sonra buradan başlatabilirsiniz.",
        "en": "Order {order_no} has already been shipped, so it can no longer be cancelled. After delivery you can return it free of charge within 14 days; you can start the return here once it has arrived.",
    },
    "cancel_delivered": {
        "tr": "{order_no} numaralı siparişiniz teslim edildiği için iptal edilemiyor, ama 14 gün içinde ücretsiz iade edebilirsiniz; iadeyi aşağıdan başlatabilirsiniz.",
        "en": "Order {order_no} has been delivered, so it can't be cancelled, but you can return it free of charge within 14 days; you can start the return below.",
    },
    "cancel_already": {
        "tr": "{order_no} numaralı siparişiniz zaten iptal edilmiş.",
        "en": "Order {order_no} is already cancelled.",
    },
    "cancel_in_return": {
        "tr": "{order_no} numaralı siparişiniz için iade süreci var; iptal yerine iade durumunu sorgulayabilirsiniz.",
        "en": "Order {order_no} already has a return; you can check the return status instead.",
    },
    # --- returns ---
    "ask_return_item": {
        "tr": "Hangi ürünü iade etmek istiyorsunuz?",
        "en": "Which item would you like to return?",
    },
    "ask_return_reason": {
        "tr": "İade nedeniniz nedir?",
        "en": "What is the reason for the return?",
    },
    "return_item_invalid": {
        "tr": "Bu siparişte o ürünü bulamadım; lütfen aşağıdaki ürünlerden birini seçin.",
        "en": "I couldn't find that item on this order; please pick one of the items below.",
    },
    "return_reason_invalid": {
        "tr": "İade nedenini aşağıdakilerden seçer misiniz?",
        "en": "Could you pick the reason from the options below?",
    },
    "return_confirm": {
        "tr": "{product} ürünü için \"{reason}\" nedeniyle iade talebi oluşturayım mı?",
        "en": "Shall I open a return for {product} with the reason \"{reason}\"?",
    },
    "return_created": {
        "tr": "İade talebiniz oluşturuldu: {rma_code}. Ürünü orijinal ambalajıyla paketleyip {cargo_code} iade kargo koduyla en yakın Yurtiçi Kargo şubesine ücretsiz teslim edin. Ürün depomuza ulaşıp incelendikten sonra en geç 14 gün içinde (en geç {refund_by}) {amount} iadeniz başlatılır; kartınıza yansıması bankanıza göre 2-10 iş günü sürebilir.",
        "en": "Your return is open: {rma_code}. Pack the item in its original packaging and hand it in free of charge at any Yurtiçi Kargo branch with return cargo code {cargo_code}. Once it reaches our warehouse and is inspected, your refund of {amount} is started within 14 days (by {refund_by} at the latest); your bank may take 2-10 business days to show it.",
    },
    "return_kept": {
        "tr": "Peki, iade talebi oluşturmadım.",
        "en": "All right, I didn't open a return.",
    },
    "return_not_delivered": {
        "tr": "{order_no} numaralı sipariş henüz teslim edilmediği için iade başlatılamıyor. Teslim edilmeden vazgeçtiyseniz iptal seçeneklerine bakabilirim.",
        "en": "Order {order_no} hasn't been delivered yet, so a return can't be started. If you no longer want it, I can check whether it can be cancelled.",
    },
    "return_cancelled_order": {
        "tr": "{order_no} numaralı sipariş iptal edilmiş; iade edilecek bir ürün yok.",
        "en": "Order {order_no} was cancelled; there is nothing to return.",
    },
    "return_window_passed": {
        "tr": "{order_no} numaralı siparişin 14 günlük iade süresi {return_deadline} tarihinde doldu, bu yüzden iade başlatamıyorum. Ürün arızalıysa garanti kapsamında yardımcı olabiliriz; isterseniz sizi bir müşteri temsilcisine aktarayım.",
        "en": "The 14-day return period of order {order_no} ended on {return_deadline}, so I can't start a return. If the item is faulty, the warranty may cover it; I can connect you to an agent if you like.",
    },
    "return_non_returnable": {
        "tr": "{product} ({category}) hijyen/niteliği gereği iade alınamayan ürünlerden. Ürün hasarlı, yanlış, eksik ya da kusurlu geldiyse bu nedeni seçerek iade açabilirsiniz; isterseniz sizi bir müşteri temsilcisine aktarayım.",
        "en": "{product} ({category}) can't be returned for hygiene/nature reasons. If it arrived damaged, wrong, incomplete or defective, choose that reason to open a return; I can also connect you to an agent.",
    },
    "return_already_open": {
        "tr": "{product} için zaten açık bir iade talebiniz var ({rma_code}). Durumunu sormak için iade kodunu yazabilirsiniz.",
        "en": "There is already an open return for {product} ({rma_code}). Write the return code to check its status.",
    },
    # --- return status ---
    "return_key_invalid": {
        "tr": "İade kodu IADE-7014 gibi, sipariş numarası 400142 gibi yazılır. Tekrar yazar mısınız?",
        "en": "A return code looks like IADE-7014 and an order number like 400142. Could you write it again?",
    },
    "no_returns_on_order": {
        "tr": "{order_no} numaralı siparişte bir iade talebi görünmüyor. İade başlatmak isterseniz \"iade etmek istiyorum\" yazabilirsiniz.",
        "en": "Order {order_no} has no return request. To start one, write \"I want to return an item\".",
    },
    "return_stage": {
        "tr": "{rma_code} ({product}): {stage}",
        "en": "{rma_code} ({product}): {stage}",
    },
    # --- complaints ---
    "ask_complaint_category": {
        "tr": "Çok üzgünüm, bunu yaşamanızı istemezdik. Şikayetinizi kaydedeyim; konusu hangisi?",
        "en": "I'm very sorry you experienced this. Let me record your complaint; what is it about?",
    },
    "complaint_category_invalid": {
        "tr": "Şikayetin konusunu aşağıdakilerden seçer misiniz?",
        "en": "Could you pick the topic of the complaint from the options below?",
    },
    "complaint_return_offer": {
        "tr": "Ürün hasarlı, eksik ya da yanlış geldiyse iade ederek paranızı geri alabilir veya değişim isteyebilirsiniz.",
        "en": "If the item arrived damaged, incomplete or wrong, you can return it for a refund or ask for an exchange.",
    },
    "complaint_recorded": {
        "tr": "Şikayetinizi {reference} numarasıyla kaydettim. Müşteri ilişkileri ekibimiz {due} {email} adresine e-postayla dönüş yapacak. Durumunu bu sohbette \"{reference} ne durumda\" yazarak da sorabilirsiniz.",
        "en": "I've recorded your complaint as {reference}. Our customer relations team will reply by e-mail to {email} {due}. You can also ask about it here: \"{reference} status\".",
    },
    "complaint_recorded_no_contact": {
        "tr": "Şikayetinizi {reference} numarasıyla kaydettim; ekibimiz {due} inceleyecek. Bir e-posta adresiniz olmadığı için size kendimiz ulaşamayacağız: durumunu bu sohbette \"{reference} ne durumda\" yazarak sorabilir ya da daha sonra bu numarayla bize yeniden yazabilirsiniz.",
        "en": "I've recorded your complaint as {reference}; our team will look into it {due}. As we have no e-mail address for you, we can't contact you ourselves: ask about it here with \"{reference} status\", or write to us again later quoting this number.",
    },
    "ask_contact_email": {
        "tr": "Size yanıt verebilmemiz için e-posta adresinizi yazar mısınız? Ekibimiz yanıtını bu adrese gönderecek. E-posta vermeden de devam edebilirsiniz, ancak o zaman size kendimiz ulaşamayız.",
        "en": "So that we can answer you, could you write your e-mail address? Our team will send its reply there. You can also go on without one, but then we can't contact you ourselves.",
    },
    "contact_email_invalid": {
        "tr": "Bu bir e-posta adresine benzemiyor (ör. ad.soyad@ornek.com). Tekrar yazar mısınız? İsterseniz e-posta vermeden de devam edebilirsiniz.",
        "en": "That doesn't look like an e-mail address (e.g. name@example.com). Could you write it again? You can also go on without one.",
    },
    # --- tickets: status in the chat ---
    "ask_ticket_key": {
        "tr": "Talebinizi bulabilmem için talep numaranızı (ör. SKT-2026-000123) ya da ilgili sipariş numaranızı yazar mısınız?",
        "en": "To find your request, could you write its number (e.g. SKT-2026-000123) or the number of the order it is about?",
    },
    "ask_ticket_proof_order": {
        "tr": "Bu talebin size ait olduğunu doğrulamam gerekiyor. Siparişlerinizden birinin numarasını yazar mısınız? (6 haneli, ör. 400142)",
        "en": "I need to check that this request is yours. Could you write the number of one of your orders? (6 digits, e.g. 400142)",
    },
    "ticket_key_invalid": {
        "tr": "Talep numarası SKT-2026-000123 gibi, sipariş numarası 400142 gibi yazılır. Tekrar yazar mısınız? Vazgeçmek için \"vazgeç\" yazabilirsiniz.",
        "en": "A request number looks like SKT-2026-000123 and an order number like 400142. Could you write it again? Write \"stop\" to leave.",
    },
    "ticket_not_found": {
        "tr": "Bu numarayla size ait bir talep bulamadım. Numarayı kontrol eder misiniz? Talep başka bir sohbette açıldıysa yanıtlarımız verdiğiniz e-posta adresine gelir.",
        "en": "I couldn't find a request of yours with this number. Could you check it? If it was opened in another chat, our replies go to the e-mail address you gave.",
    },
    "no_tickets": {
        "tr": "Size ait kayıtlı bir talep görünmüyor. Bir sorun yaşadıysanız anlatın, hemen kaydedeyim.",
        "en": "I can't see any request of yours. If something went wrong, tell me and I'll record it right away.",
    },
    "ticket_headline": {
        "tr": "{code} ({category}): {status}.",
        "en": "{code} ({category}): {status}.",
    },
    "ticket_owner": {
        "tr": "Talebinizle {name} ilgileniyor.",
        "en": "{name} is handling it.",
    },
    "ticket_unassigned": {
        "tr": "Talebiniz bir temsilcimize atanmayı bekliyor.",
        "en": "It is waiting to be assigned to one of our agents.",
    },
    "ticket_last_reply": {
        "tr": "Son yanıtımız: {when}.",
        "en": "Our last reply: {when}.",
    },
    "ticket_no_reply_yet": {
        "tr": "Henüz yanıt verilmedi.",
        "en": "No reply has been sent yet.",
    },
    "ticket_next_due": {
        "tr": "{due} dönüş yapacağız.",
        "en": "We'll get back to you {due}.",
    },
    "ticket_overdue": {
        "tr": "{due} dönüş yapmamız gerekiyordu; geciktiğimiz için özür dileriz.",
        "en": "We should have got back to you {due}; we're sorry for the delay.",
    },
    "ticket_resolved_at": {
        "tr": "Çözüldüğü an: {when}.",
        "en": "Resolved: {when}.",
    },
    "ticket_by_email": {
        "tr": "Yanıtlarımız e-posta adresinize gidiyor.",
        "en": "Our replies go to your e-mail address.",
    },
    "ticket_list": {
        "tr": "Açık {count} talebiniz var:\n{lines}\nAyrıntısı için aşağıdan birini seçebilir ya da numarasını yazabilirsiniz.",
        "en": "You have {count} open requests:\n{lines}\nPick one below or write its number for the details.",
    },
    "ticket_list_more": {
        "tr": "… ve {count} talep daha",
        "en": "… and {count} more",
    },
    "ticket_status_button": {
        "tr": "{code} ne durumda",
        "en": "{code} status",
    },
    # --- refunds past the promised date ---
    "refund_expected": {
        "tr": " — tahmini para iadesi en geç {refund_by}",
        "en": " — refund expected by {refund_by}",
    },
    "refund_after_arrival": {
        "tr": " — para iadeniz, ürün depomuza ulaştıktan sonra en geç 14 gün içinde başlar",
        "en": " — your refund starts within 14 days after the item reaches our warehouse",
    },
    "refund_overdue": {
        "tr": " — para iadesinin normalde en geç {promised} başlaması gerekiyordu; gecikme için özür dileriz",
        "en": " — the refund should normally have started by {promised} at the latest; we apologise for the delay",
    },
    "refund_followup_opened": {
        "tr": "Gecikmeyi {code} numaralı talep olarak ekibimize ilettim; {due} size e-postayla dönüş yapacaklar. Durumunu \"{code} ne durumda\" yazarak sorabilirsiniz.",
        "en": "I've passed the delay on to our team as request {code}; they'll get back to you by e-mail {due}. Ask \"{code} status\" any time.",
    },
    "refund_followup_exists": {
        "tr": "Bu gecikme {code} numaralı talep olarak zaten takip ediliyor. Durumunu \"{code} ne durumda\" yazarak sorabilirsiniz.",
        "en": "This delay is already being followed up as request {code}. Ask \"{code} status\" any time.",
    },
    "refund_followup_failed": {
        "tr": "Gecikmeyi şu anda kayda geçiremedim, özür dilerim. Bir müşteri temsilcisi hemen yardımcı olabilir.",
        "en": "I couldn't record the delay right now, I'm sorry. A customer service agent can help you straight away.",
    },
    "missed_refund_ticket": {
        "tr": "Para iadesi söz verilen tarihte başlamadı (asistan kendiliğinden açtı): {returns}.",
        "en": "The refund did not start by the promised date (opened by the assistant): {returns}.",
    },
    "missed_refund_item": {
        "tr": "{rma_code} ({product}), durum: {stage}, söz verilen en geç {refund_by}",
        "en": "{rma_code} ({product}), status: {stage}, promised by {refund_by}",
    },
}

RETURN_STAGES = {
    "acildi": {"tr": "talep açıldı, ürünü iade kargo koduyla göndermeniz bekleniyor", "en": "opened, waiting for you to send the item with the return cargo code"},
    "kargo_bekleniyor": {"tr": "iade kargonuz yolda, depomuza ulaşması bekleniyor", "en": "the parcel is on its way to our warehouse"},
    "depoya_ulasti": {"tr": "ürün depomuza ulaştı, incelemeye alınacak", "en": "the item reached our warehouse and will be inspected"},
    "inceleniyor": {"tr": "ürün inceleniyor", "en": "the item is being inspected"},
    "onaylandi": {"tr": "iade onaylandı, ödeme iadesi başlatılıyor", "en": "approved, the refund is being started"},
    "iade_edildi": {"tr": "ödeme iadesi yapıldı", "en": "refunded"},
    "reddedildi": {"tr": "iade talebi reddedildi", "en": "rejected"},
}

RETURN_REASON_LABELS = {
    "hasarli_urun": {"tr": "Ürün hasarlı geldi", "en": "Arrived damaged"},
    "yanlis_urun": {"tr": "Yanlış ürün geldi", "en": "Wrong item"},
    "eksik_urun": {"tr": "Eksik ürün/parça", "en": "Missing item or part"},
    "beden_uymadi": {"tr": "Beden veya renk uymadı", "en": "Size or colour"},
    "vazgectim": {"tr": "Fikrimi değiştirdim", "en": "Changed my mind"},
    "ayipli_urun": {"tr": "Ürün kusurlu/arızalı", "en": "Defective"},
}

COMPLAINT_CATEGORIES = {
    "kargo": {"tr": "Kargo ve teslimat", "en": "Shipping and delivery"},
    "urun": {"tr": "Ürün", "en": "Product"},
    "iade": {"tr": "İade ve para iadesi", "en": "Returns and refunds"},
    "odeme": {"tr": "Ödeme ve fatura", "en": "Payment and invoice"},
    "hizmet": {"tr": "Müşteri hizmetleri", "en": "Customer service"},
    "diger": {"tr": "Diğer", "en": "Other"},
}


# What a ticket's status means to the shopper (bot/tickets/models.STATUSES).
TICKET_STATUSES = {
    "new": {"tr": "ekibimiz inceliyor", "en": "our team is looking into it"},
    "open": {"tr": "ekibimiz inceliyor", "en": "our team is looking into it"},
    "waiting": {"tr": "sizden yanıt bekliyoruz — e-postanızı kontrol edin",
                "en": "we're waiting for your answer — please check your e-mail"},
    "resolved": {"tr": "çözüldü", "en": "resolved"},
    "closed": {"tr": "kapatıldı", "en": "closed"},
}
# The same, for a ticket without an e-mail address: the reply is in this chat.
TICKET_WAITING_IN_CHAT = {"tr": "sizden yanıt bekliyoruz — yanıtımız bu sohbette",
                          "en": "we're waiting for your answer — our reply is in this chat"}

# The honest way out of the e-mail question of an anonymous complaint.
SKIP_EMAIL = {"tr": "E-posta vermeden devam et", "en": "Continue without e-mail"}


def quick_reply(title: str) -> Dict[str, str]:
    """A quick reply whose payload is its label: a tap reads like typed text, never `/intent`."""
    return {"title": title, "payload": title}


def option_buttons(options: Iterable[Mapping[str, str]], language: Optional[str]) -> List[Dict[str, str]]:
    return [quick_reply(option[language_of(language)]) for option in options]


def label_key(text: str, options: Mapping[str, Mapping[str, str]]) -> Optional[str]:
    """The key of the option whose Turkish or English label the shopper tapped or typed."""
    folded = fold_words(text)
    return next((key for key, label in options.items()
                 if folded in (fold_words(label["tr"]), fold_words(label["en"]))), None)


def language_of(value: Optional[str]) -> str:
    return "en" if value == "en" else "tr"


def say(key: str, language: Optional[str], **values: object) -> str:
    return TEXTS[key][language_of(language)].format(**values)


def format_date(value: Union[date, datetime, None], language: Optional[str]) -> str:
    """A day as the shopper reads it; a moment (aware) is shown as its day in Istanbul."""
    if value is None:
        return "-"
    value = shop_date(value)
    month = MONTHS[language_of(language)][value.month - 1]
    return f"{value.day} {month} {value.year}" if language_of(language) == "tr" else f"{month} {value.day}, {value.year}"


def format_money(kurus: Optional[int], language: Optional[str]) -> str:
    """`189990` -> `1.899,90 TL` (Turkish digit grouping in both languages, as the shop writes it)."""
    lira = (kurus or 0) / 100
    text = f"{lira:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{text} TL"


WEEKDAYS = {
    "tr": ["Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
# Turkish suffixes after a number follow how its last word is spoken ("17:00" ends in "yedi",
# "17:30" in "otuz"): the dative (-e/-a, -ye/-ya) by the last digit, else by the tens.
_DATIVE_ONES = {1: "e", 2: "ye", 3: "e", 4: "e", 5: "e", 6: "ya", 7: "ye", 8: "e", 9: "a"}
_DATIVE_TENS = {0: "a", 1: "a", 2: "ye", 3: "a", 4: "a", 5: "ye"}  # sıfır, on, yirmi, otuz, kırk, elli
# The locative (-de/-da, -te/-ta) after a month's name.
_MONTH_LOCATIVE = ["ta", "ta", "ta", "da", "ta", "da", "da", "ta", "de", "de", "da", "ta"]


def _dative(number: int) -> str:
    return _DATIVE_ONES[number % 10] if number % 10 else _DATIVE_TENS[number // 10 % 10]


def format_moment(value: datetime, language: Optional[str]) -> str:
    """An aware moment as the shopper reads it in Istanbul time: `3 Aralık Perşembe 17:00`,
    `Thursday 3 December, 17:00`."""
    local = shop_local(value)
    language = language_of(language)
    month, weekday = MONTHS[language][local.month - 1], WEEKDAYS[language][local.weekday()]
    if language == "tr":
        return f"{local.day} {month} {weekday} {local:%H:%M}"
    return f"{weekday} {local.day} {month}, {local:%H:%M}"


def format_due(value: datetime, language: Optional[str]) -> str:
    """A deadline: `3 Aralık Perşembe 17:00'ye kadar`, `by Thursday 3 December, 17:00`."""
    local = shop_local(value)
    if language_of(language) == "tr":
        suffix = _dative(local.minute) if local.minute else _dative(local.hour)
        return f"{format_moment(value, language)}'{suffix} kadar"
    return f"by {format_moment(value, language)}"


def format_day_on(value: Union[date, datetime], language: Optional[str]) -> str:
    """A recent day in a sentence: `7 Kasım'da` / `November 7`."""
    day = shop_date(value)
    if language_of(language) == "tr":
        return f"{day.day} {MONTHS['tr'][day.month - 1]}'{_MONTH_LOCATIVE[day.month - 1]}"
    return f"{MONTHS['en'][day.month - 1]} {day.day}"


def mask_email(address: str) -> str:
    """`ayse.kaya@example.com` -> `a•••@example.com`: enough to recognise one's own address."""
    name, _, domain = address.partition("@")
    return f"{name[:1]}•••@{domain}" if domain else "•••"
