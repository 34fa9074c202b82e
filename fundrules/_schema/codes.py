"""Closed sets of ISO codes, kept in the source so validation needs no network or package.

Country codes are the 249 officially assigned ISO 3166-1 alpha-2 codes. Currency codes are
ISO 4217 list one (active codes, funds and precious metals included) as amended up to 2025:
codes withdrawn before then (HRK, SLL, ZWL, ...) are not accepted, and a new code needs a
one-line change here.
"""

from __future__ import annotations

__all__ = ["COUNTRY_CODES", "CURRENCY_CODES", "country_hint", "currency_hint"]

#: ISO 3166-1 alpha-2, the 249 officially assigned codes.
# A block of text reads (and diffs) better than 249 quoted strings.
COUNTRY_CODES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
    """.split()  # noqa: SIM905
)

#: ISO 4217 alphabetic codes of list one (current currencies and funds).
CURRENCY_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN
    BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK
    DJF DKK DOP DZD
    EGP ERN ETB EUR
    FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF
    IDR ILS INR IQD IRR ISK
    JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
    NAD NGN NIO NOK NPR NZD
    OMR
    PAB PEN PGK PHP PKR PLN PYG
    QAR
    RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV
    WST
    XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX
    YER
    ZAR ZMW ZWG
    """.split()  # noqa: SIM905
)

# Codes people write that ISO 3166-1 reserves for other uses (EU and UPU conventions).
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR", "EU": None}

# Currency codes withdrawn recently enough to turn up in 2019-2020 documents.
_CURRENCY_SUCCESSORS = {
    "HRK": "EUR",
    "LTL": "EUR",
    "LVL": "EUR",
    "EEK": "EUR",
    "SLL": "SLE",
    "ZWL": "ZWG",
    "VEF": "VES",
    "MRO": "MRU",
    "STD": "STN",
    "BYR": "BYN",
}


def country_hint(text: str) -> str:
    """Suggest what to write instead of ``text``, which is not an assigned alpha-2 code."""
    upper = text.strip().upper()
    if upper in COUNTRY_CODES:
        return f"write country codes in uppercase: {upper}"
    if upper in _COUNTRY_ALIASES:
        alias = _COUNTRY_ALIASES[upper]
        if alias is None:
            return "give one country, not a union of countries"
        return f"ISO 3166-1 reserves {upper} for another use; write {alias}"
    return "use an ISO 3166-1 alpha-2 code in uppercase, such as FR, GB, IT or ES"


def currency_hint(text: str) -> str:
    """Suggest what to write instead of ``text``, which is not a code of ISO 4217 list one."""
    upper = text.strip().upper()
    if upper in CURRENCY_CODES:
        return f"write currency codes in uppercase: {upper}"
    if upper in _CURRENCY_SUCCESSORS:
        successor = _CURRENCY_SUCCESSORS[upper]
        return f"{upper} has been withdrawn: give the amount in {successor}, its successor"
    return "use an ISO 4217 code in uppercase, such as EUR or GBP"
