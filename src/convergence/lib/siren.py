"""SIREN numbers: 9 digits whose Luhn checksum is valid."""


def is_valid_siren(value: str) -> bool:
    if len(value) != 9 or not value.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(value)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
