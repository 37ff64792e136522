import pytest

from bot.services.masking import mask, redact


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ИИН 900101300123", "ИИН [IIN]"),
        ("жсн: 900101 300123.", "жсн: [IIN]."),
        ("тел +7 701 123 45 67", "тел [phone]"),
        ("8(701)123-45-67", "[phone]"),
        ("87011234567", "[phone]"),
        ("+77011234567, звоните", "[phone], звоните"),
        ("7011234567", "[phone]"),
        ("8 7172 55 66 77", "[phone]"),
        ("pochta a.b+c@mail.kz!", "pochta [email]!"),
        ("ivanov_77@gov.kz", "[email]"),
        ("карта 4400 4301 2345 6789", "карта [card]"),
        ("4400-4301-2345-6789-123", "[card]"),
        ("4400430123456789", "[card]"),
        ("счёт KZ86125KZT5004100100", "счёт [account]"),
        ("87011234567 900101300123", "[phone] [IIN]"),
        ("мой ИИН 900101300123 и карта 4400430123456789",
         "мой ИИН [IIN] и карта [card]"),
        # the audit's spellings: any run of separators, Unicode spaces, a + prefix
        ("ИИН 900101.300123", "ИИН [IIN]"),
        ("ИИН 900101/300123", "ИИН [IIN]"),
        ("ИИН 900_101_300_123", "ИИН [IIN]"),
        ("ИИН 900101  300123", "ИИН [IIN]"),
        ("ИИН 900101\n300123", "ИИН [IIN]"),
        ("ИИН 900101\u202f300123", "ИИН [IIN]"),
        ("ИИН 900101\u2009300123", "ИИН [IIN]"),
        ("ИИН 900101\u200b300123", "ИИН [IIN]"),
        ("ИИН +900101300123", "ИИН [IIN]"),
        ("ЖСН: 9001 0130 0123", "ЖСН: [IIN]"),
        ("карта 4400  4301  2345  6789", "карта [card]"),
        ("тел 8.701.123.45.67", "тел [phone]"),
        ("+7 (701) 123-45-67", "[phone]"),
        ("(701) 123 45 67", "[phone]"),
        ("8 (7172) 55-66-77", "[phone]"),
        ("+1 202 555 0123, звонил", "[phone], звонил"),
        # Unicode digit forms; the rest of the text stays as it was
        ("ИИН ９００１０１３００１２３！", "ИИН [IIN]！"),
        ("ИИН ٩٠٠١٠١٣٠٠١٢٣", "ИИН [IIN]"),
        # ID cards (9 digits) and passports (N and 8 digits)
        ("удостоверение 045678912", "удостоверение [document]"),
        ("жеке куәлік № 045 678 912", "жеке куәлік № [document]"),
        ("паспорт N12345678", "паспорт [document]"),
        ("паспорт № N 1234 5678", "паспорт № [document]"),
        ("паспорт н12345678, ИИН 900101300123", "паспорт [document], ИИН [IIN]"),
        ("N12345678 900101300123", "[document] [IIN]"),
        # invisible characters between the digits or in an address (a review's
        # finds): soft hyphen, direction marks, invisible times, keycap emoji
        ("ИИН 900101\xad300123", "ИИН [IIN]"),
        ("ИИН 900101\u200f300123", "ИИН [IIN]"),
        ("ИИН \u202a900101300123\u202c", "ИИН \u202a[IIN]\u202c"),
        ("ИИН 9\u20620\u20620101300123", "ИИН [IIN]"),
        ("8\ufe0f\u20e37\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e31\ufe0f\u20e32\ufe0f\u20e3"
         "3\ufe0f\u20e34\ufe0f\u20e35\ufe0f\u20e36\ufe0f\u20e37\ufe0f\u20e3",
         "[phone]\ufe0f\u20e3"),
        ("почта ivan\u200b@mail.ru", "почта [email]"),
        # a currency is a whole word, and an IIN in groups of three is no sum
        ("ИИН 900 101 300 123 сомневаюсь", "ИИН [IIN] сомневаюсь"),
        ("ИИН 900 101 300 123 тенге", "ИИН [IIN] тенге"),
        ("удостоверение 012 345 678 сом?", "удостоверение [document] сом?"),
        # identifiers glued together or behind other digits; O and l for 0 and 1
        ("900101300123900101300124", "[number]"),
        ("номер 12345678901234567890", "номер [number]"),
        ("ИИН 9OO1O13OO123", "ИИН [IIN]"),
        ("ИИН 9ОО1О13ОО123", "ИИН [IIN]"),  # Cyrillic О
        ("тел 87Ol1234567", "тел [phone]"),
        # commas between digits (the review's «8,701,123,45,67»), and look-alike
        # letters in a number written in groups
        ("тел 8,701,123,45,67", "тел [phone]"),
        ("ИИН 900,101,300,123", "ИИН [IIN]"),
        ("карта 4400,4301,2345,6789.", "карта [card]."),
        ("ИИН 9OO 1O1 3OO 123", "ИИН [IIN]"),
        ("ИИН 9ОО1О1-3ОО123", "ИИН [IIN]"),  # Cyrillic О
        ("тел 8 7O1 l23 45 67", "тел [phone]"),
        # a date next to an identifier stays a date
        ("01.12.2026 900101300123", "01.12.2026 [IIN]"),
        ("Меня зовут Айгерим, удостоверение 045678912, адрес ул. Абая 45, кв. 12, "
         "ИИН 900101.300123",
         "Меня зовут Айгерим, удостоверение [document], адрес ул. Абая 45, кв. 12, "
         "ИИН [IIN]"),
    ],
)
def test_personal_data_is_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "",
        "прописка онлайн",
        "пособие 15 000 тенге в 2026 году",
        "звоните 1414 или 109",
        "штраф 10 МРП, срок 10 дней",
        "закон № 482-IV от 12.01.2007",
        "срок до 01.12.2026, с 2026-12-01 по 15/12/2026",
        "с 01.12.2026-15.12.2026",  # 16 digits, but two dates
        "пособие 150 000 тенге, 3 692 ₸, 1 500 000 теңге",
        "от 150 000 - 200 000 тенге",  # 12 digits, but a range of amounts
        "жалақы 150000000 тг",
        "в 2026 году, с 1991 года",
        "ул. Абая 45/2, кв. 12, дом 7",
        "ст. 123 п. 4 Кодекса",
        "избирательный участок № 156",
        "Nurlan 12345678",  # a name, not a passport's letter N
        "кредит 12 000 000 000 тенге",  # 11 digits in thousands: still a sum
        "стоит 45 000 рублей, 300 долларов, 1 200 000 сомов",
        "ТОО «ОООО» и ООО «Lotos», 1000 llo",  # letters, not digits
        "разница 0,5 процента, 100 000 руб.",
        "кв. 12, дом 7, подъезд 3, этаж 9",  # a comma and a space end a number
        "в 2024, 2025, 2026 годах; 3,5 млн; 1234,56",
        "бюджет 150,000,000 тенге",  # thousands grouped with commas: a sum
        "1O 2O о 3O, ОО 1 l 2",  # look-alike letters, but too few to be a number
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask(text) == text


def test_masking_is_idempotent():
    once = mask("ИИН 900101300123 +7 701 123 45 67 a@b.kz 4400 4301 2345 6789")
    assert mask(once) == once


TOKEN = "6012345678:AAFx3k9QdLmZpW7vR2sT8uY4bN1cE5hJ0gK"


@pytest.mark.parametrize(
    ("text", "secrets", "redacted"),
    [
        (f"https://api.telegram.org/bot{TOKEN}/sendMessage", (),
         "https://api.telegram.org/bot[token]/sendMessage"),
        (f"bot{TOKEN.replace(':', '%3A')}/getMe", (), "bot[token]/getMe"),
        ("bot123:short-secret/getMe", ("123:short-secret",), "bot[token]/getMe"),
        ("secret half alone: short-secret", ("123:short-secret",), "secret half alone: [token]"),
        ("Bad Request: chat not found", (TOKEN,), "Bad Request: chat not found"),
        ("ratio 12:30, id 42:abc", (), "ratio 12:30, id 42:abc"),
    ],
)
def test_bot_tokens_are_redacted(text, secrets, redacted):
    assert redact(text, *secrets) == redacted
