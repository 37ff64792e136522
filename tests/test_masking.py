import pytest

from bot.services.masking import mask


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
        "номер 12345678901234567890",  # 20 digits: no card, no IIN inside it
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert mask(text) == text


def test_masking_is_idempotent():
    once = mask("ИИН 900101300123 +7 701 123 45 67 a@b.kz 4400 4301 2345 6789")
    assert mask(once) == once
