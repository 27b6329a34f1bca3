"""Vocabulary for the synthetic register: statuses, categories, SIC codes, places and names.

Enumerations follow the Companies House reference (companies-house.md sections C.5, C.6 and D);
the mix of bulk ``CompanyStatus`` values follows the 2026 profile of the full snapshot (about
91 % Active and 7.5 % "Active - Proposal to Strike off"). Places, streets and names are invented
or generic; SIC descriptions are the UK SIC 2007 wording.
"""

from __future__ import annotations

from typing import Final, NamedTuple

from .draws import Weighted

STRIKE_OFF_STATUS: Final = "Active - Proposal to Strike off"
STRIKE_OFF_DETAIL: Final = "active-proposal-to-strike-off"


class BulkStatus(NamedTuple):
    """A ``CompanyStatus`` value of the bulk file and its API ``company_status`` (C.5)."""

    csv: str
    api: str
    insolvent: bool


# Weights are parts per million of the live register.
BULK_STATUSES: Final[tuple[tuple[BulkStatus, int], ...]] = (
    (BulkStatus("Active", "active", False), 906_030),
    (BulkStatus(STRIKE_OFF_STATUS, "active", False), 75_000),
    (BulkStatus("Liquidation", "liquidation", True), 15_000),
    (BulkStatus("In Administration", "administration", True), 1_500),
    (BulkStatus("Voluntary Arrangement", "voluntary-arrangement", True), 1_200),
    (BulkStatus("Live but Receiver Manager on at least one charge", "receivership", True), 700),
    (BulkStatus("RECEIVERSHIP", "receivership", True), 200),
    (BulkStatus("ADMINISTRATIVE RECEIVER", "receivership", True), 80),
    (BulkStatus("In Administration/Administrative Receiver", "administration", True), 60),
    (BulkStatus("In Administration/Receiver Manager", "administration", True), 50),
    (BulkStatus("ADMINISTRATION ORDER", "administration", True), 50),
    (
        BulkStatus(
            "VOLUNTARY ARRANGEMENT / ADMINISTRATIVE RECEIVER", "voluntary-arrangement", True
        ),
        50,
    ),
    (BulkStatus("VOLUNTARY ARRANGEMENT / RECEIVER MANAGER", "voluntary-arrangement", True), 40),
    (BulkStatus("RECEIVER MANAGER / ADMINISTRATIVE RECEIVER", "receivership", True), 40),
)
STATUS_TABLE: Final = Weighted(BULK_STATUSES)
ACTIVE: Final = BULK_STATUSES[0][0]
STRIKE_OFF: Final = BULK_STATUSES[1][0]


class CompanyKind(NamedTuple):
    """API ``type`` (D.3), bulk ``CompanyCategory`` (C.6) and name suffixes used for it."""

    api_type: str
    csv_category: str
    suffixes: tuple[str, ...]
    subtype: str | None = None


LTD: Final = CompanyKind("ltd", "Private Limited Company", ("LTD", "LIMITED", "LIMITED", "LTD."))
PLC: Final = CompanyKind("plc", "Public Limited Company", ("PLC", "P.L.C."))
LLP: Final = CompanyKind("llp", "Limited Liability Partnership", ("LLP",))
LP: Final = CompanyKind(
    "limited-partnership", "Limited Partnership", ("LP", "L.P.", "LIMITED PARTNERSHIP")
)
CIC: Final = CompanyKind(
    "ltd",
    "Community Interest Company",
    ("C.I.C.", "CIC", "COMMUNITY INTEREST COMPANY"),
    "community-interest-company",
)
GUARANTEE: Final = CompanyKind(
    "private-limited-guarant-nsc",
    "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)",
    ("LIMITED", "MANAGEMENT COMPANY LIMITED", "RESIDENTS ASSOCIATION LIMITED"),
)
GUARANTEE_EXEMPT: Final = CompanyKind(
    "private-limited-guarant-nsc-limited-exemption",
    "PRI/LBG/NSC (Private, Limited by guarantee, no share capital, use of 'Limited' exemption)",
    ("TRUST", "FOUNDATION", "ASSOCIATION", "SOCIETY"),
)
UNLIMITED: Final = CompanyKind(
    "private-unlimited", "Private Unlimited Company", ("UNLIMITED", "COMPANY", "& CO")
)

NUMBERED_KINDS: Final = Weighted(
    [
        (LTD, 9_250),
        (GUARANTEE, 300),
        (CIC, 170),
        (GUARANTEE_EXEMPT, 120),
        (PLC, 90),
        (UNLIMITED, 70),
    ]
)

# Accounts category in the bulk file, the matching API ``last_accounts.type`` and weight.
ACCOUNT_CATEGORIES: Final = Weighted(
    [
        (("MICRO ENTITY", "micro-entity"), 4_300),
        (("TOTAL EXEMPTION FULL", "total-exemption-full"), 2_200),
        (("DORMANT", "dormant"), 1_300),
        (("UNAUDITED ABRIDGED", "unaudited-abridged"), 900),
        (("SMALL", "small"), 350),
        (("FULL", "full"), 350),
        (("TOTAL EXEMPTION SMALL", "total-exemption-small"), 250),
        (("GROUP", "group"), 90),
        (("MEDIUM", "medium"), 60),
        (("AUDIT EXEMPTION SUBSIDIARY", "audit-exemption-subsidiary"), 60),
        (("AUDITED ABRIDGED", "audited-abridged"), 50),
        (("FILING EXEMPTION SUBSIDIARY", "filing-exemption-subsidiary"), 20),
        (("ACCOUNTS TYPE NOT AVAILABLE", "no-accounts-type-available"), 20),
        (("PARTIAL EXEMPTION", "partial-exemption"), 5),
    ]
)
NO_ACCOUNTS_FILED: Final = "NO ACCOUNTS FILED"


class Industry(NamedTuple):
    """A SIC 2007 code, its description and words that fit a company name in that trade."""

    code: str
    description: str
    words: tuple[str, ...]


_I = Industry
INDUSTRIES: Final[tuple[tuple[Industry, int], ...]] = (
    (
        _I(
            "01110",
            "Growing of cereals (except rice), leguminous crops and oil seeds",
            ("FARMS", "AGRICULTURE"),
        ),
        4,
    ),
    (_I("01410", "Raising of dairy cattle", ("DAIRIES", "FARMING")), 3),
    (_I("01500", "Mixed farming", ("FARMS", "FARMING PARTNERS")), 4),
    (
        _I(
            "10710",
            "Manufacture of bread; manufacture of fresh pastry goods and cakes",
            ("BAKERY", "BAKEHOUSE"),
        ),
        4,
    ),
    (_I("10890", "Manufacture of other food products n.e.c.", ("FOODS", "KITCHEN")), 4),
    (_I("11050", "Manufacture of beer", ("BREWING", "BREWERY")), 2),
    (_I("13300", "Finishing of textiles", ("TEXTILES", "FABRICS")), 1),
    (_I("16100", "Sawmilling and planing of wood", ("TIMBER", "SAWMILLS")), 1),
    (_I("18129", "Printing n.e.c.", ("PRINT", "PRINTING")), 3),
    (
        _I(
            "25110",
            "Manufacture of metal structures and parts of structures",
            ("FABRICATION", "STEEL"),
        ),
        3,
    ),
    (_I("25620", "Machining", ("ENGINEERING", "PRECISION")), 3),
    (_I("33120", "Repair of machinery", ("MACHINERY", "PLANT SERVICES")), 2),
    (_I("35110", "Production of electricity", ("ENERGY", "SOLAR", "POWER")), 3),
    (_I("41100", "Development of building projects", ("DEVELOPMENTS", "HOMES")), 30),
    (_I("41201", "Construction of commercial buildings", ("CONSTRUCTION", "CONTRACTORS")), 10),
    (_I("41202", "Construction of domestic buildings", ("BUILDERS", "BUILDING SERVICES")), 18),
    (
        _I(
            "42990",
            "Construction of other civil engineering projects n.e.c.",
            ("CIVILS", "GROUNDWORKS"),
        ),
        5,
    ),
    (_I("43210", "Electrical installation", ("ELECTRICAL", "ELECTRICS")), 16),
    (
        _I(
            "43220",
            "Plumbing, heat and air-conditioning installation",
            ("PLUMBING & HEATING", "HEATING"),
        ),
        14,
    ),
    (_I("43290", "Other construction installation", ("INSTALLATIONS", "INTERIORS")), 4),
    (_I("43310", "Plastering", ("PLASTERING",)), 3),
    (_I("43320", "Joinery installation", ("JOINERY", "CARPENTRY")), 5),
    (_I("43341", "Painting", ("DECORATORS", "PAINTING & DECORATING")), 4),
    (
        _I(
            "43390", "Other building completion and finishing", ("PROPERTY SERVICES", "RENOVATIONS")
        ),
        8,
    ),
    (_I("43910", "Roofing activities", ("ROOFING",)), 5),
    (
        _I(
            "43999", "Other specialised construction activities n.e.c.", ("SERVICES", "MAINTENANCE")
        ),
        12,
    ),
    (_I("45111", "Sale of new cars and light motor vehicles", ("MOTORS", "CARS")), 3),
    (_I("45112", "Sale of used cars and light motor vehicles", ("CAR SALES", "AUTOS")), 5),
    (_I("45200", "Maintenance and repair of motor vehicles", ("GARAGE", "AUTO REPAIRS")), 7),
    (_I("46190", "Agents involved in the sale of a variety of goods", ("TRADING", "SUPPLIES")), 6),
    (
        _I(
            "46390",
            "Non-specialised wholesale of food, beverages and tobacco",
            ("WHOLESALE", "FOODS"),
        ),
        3,
    ),
    (_I("46690", "Wholesale of other machinery and equipment", ("EQUIPMENT", "SUPPLIES")), 2),
    (_I("46900", "Non-specialised wholesale trade", ("TRADING", "IMPORTS")), 8),
    (
        _I(
            "47110",
            "Retail sale in non-specialised stores with food, beverages or tobacco predominating",
            ("STORES", "MINI MARKET"),
        ),
        6,
    ),
    (_I("47190", "Other retail sale in non-specialised stores", ("STORES", "RETAIL")), 4),
    (
        _I(
            "47240",
            "Retail sale of bread, cakes, flour confectionery and sugar confectionery"
            " in specialised stores",
            ("BAKERY", "CAKES"),
        ),
        2,
    ),
    (_I("47710", "Retail sale of clothing in specialised stores", ("CLOTHING", "BOUTIQUE")), 4),
    (
        _I(
            "47910",
            "Retail sale via mail order houses or via Internet",
            ("ONLINE", "E-COMMERCE", "DIRECT"),
        ),
        22,
    ),
    (_I("47990", "Other retail sale not in stores, stalls or markets", ("TRADERS",)), 3),
    (_I("49320", "Taxi operation", ("TAXIS", "CARS", "TRAVEL")), 8),
    (_I("49410", "Freight transport by road", ("LOGISTICS", "HAULAGE", "TRANSPORT")), 14),
    (_I("52290", "Other transportation support activities", ("FREIGHT", "LOGISTICS")), 4),
    (_I("53202", "Unlicensed carrier", ("COURIERS", "DELIVERIES")), 10),
    (_I("55100", "Hotels and similar accommodation", ("HOTEL", "HOTELS")), 3),
    (
        _I(
            "55209",
            "Other holiday and other collective accommodation",
            ("HOLIDAY LETS", "COTTAGES"),
        ),
        4,
    ),
    (_I("56101", "Licensed restaurants", ("RESTAURANT", "DINING")), 8),
    (_I("56102", "Unlicensed restaurants and cafes", ("CAFE", "COFFEE HOUSE")), 7),
    (_I("56103", "Take-away food shops and mobile food stands", ("TAKEAWAY", "GRILL", "PIZZA")), 8),
    (_I("56302", "Public houses and bars", ("INNS", "TAVERNS", "BAR")), 4),
    (_I("58190", "Other publishing activities", ("PUBLISHING", "PRESS")), 2),
    (_I("59111", "Motion picture production activities", ("FILMS", "PRODUCTIONS", "PICTURES")), 4),
    (
        _I(
            "62011",
            "Ready-made interactive leisure and entertainment software development",
            ("GAMES", "STUDIOS"),
        ),
        2,
    ),
    (
        _I(
            "62012",
            "Business and domestic software development",
            ("SOFTWARE", "DIGITAL", "TECHNOLOGIES"),
        ),
        18,
    ),
    (
        _I(
            "62020",
            "Information technology consultancy activities",
            ("IT CONSULTING", "TECH", "SYSTEMS"),
        ),
        30,
    ),
    (
        _I("62090", "Other information technology service activities", ("IT SERVICES", "NETWORKS")),
        8,
    ),
    (_I("63120", "Web portals", ("WEB", "ONLINE MEDIA")), 2),
    (_I("64209", "Activities of other holding companies n.e.c.", ("HOLDINGS", "GROUP")), 18),
    (_I("64999", "Financial intermediation not elsewhere classified", ("CAPITAL", "FINANCE")), 5),
    (
        _I(
            "66220", "Activities of insurance agents and brokers", ("INSURANCE SERVICES", "BROKERS")
        ),
        3,
    ),
    (_I("68100", "Buying and selling of own real estate", ("PROPERTIES", "ESTATES")), 25),
    (
        _I(
            "68209",
            "Other letting and operating of own or leased real estate",
            ("PROPERTY", "LETTINGS", "ESTATES"),
        ),
        45,
    ),
    (_I("68310", "Real estate agencies", ("ESTATE AGENTS", "HOMES")), 5),
    (
        _I(
            "68320",
            "Management of real estate on a fee or contract basis",
            ("PROPERTY MANAGEMENT",),
        ),
        6,
    ),
    (_I("69102", "Solicitors", ("SOLICITORS", "LAW", "LEGAL")), 3),
    (_I("69201", "Accounting and auditing activities", ("ACCOUNTANTS", "ACCOUNTANCY")), 6),
    (_I("69202", "Bookkeeping activities", ("BOOKKEEPING",)), 4),
    (_I("69203", "Tax consultancy", ("TAX", "TAX ADVISERS")), 2),
    (_I("70100", "Activities of head offices", ("GROUP", "HOLDINGS")), 3),
    (_I("70210", "Public relations and communications activities", ("COMMUNICATIONS", "PR")), 3),
    (
        _I(
            "70229",
            "Management consultancy activities other than financial management",
            ("CONSULTING", "CONSULTANCY", "ADVISORY"),
        ),
        40,
    ),
    (_I("71111", "Architectural activities", ("ARCHITECTS", "DESIGN")), 3),
    (_I("71129", "Other engineering activities", ("ENGINEERING", "ENGINEERS")), 8),
    (
        _I(
            "72190",
            "Other research and experimental development on natural sciences and engineering",
            ("RESEARCH", "LABS"),
        ),
        2,
    ),
    (_I("73110", "Advertising agencies", ("MEDIA", "CREATIVE", "MARKETING")), 6),
    (_I("73200", "Market research and public opinion polling", ("INSIGHT", "RESEARCH")), 2),
    (_I("74100", "specialised design activities", ("DESIGN", "STUDIO", "PIXEL STUDIO")), 5),
    (_I("74201", "Portrait photographic activities", ("PHOTOGRAPHY",)), 2),
    (
        _I(
            "74909",
            "Other professional, scientific and technical activities n.e.c.",
            ("SERVICES", "SOLUTIONS"),
        ),
        12,
    ),
    (
        _I(
            "77110", "Renting and leasing of cars and light motor vehicles", ("CAR HIRE", "LEASING")
        ),
        2,
    ),
    (
        _I("78109", "Other activities of employment placement agencies", ("RECRUITMENT", "TALENT")),
        4,
    ),
    (_I("78200", "Temporary employment agency activities", ("STAFFING", "PERSONNEL")), 3),
    (_I("81210", "General cleaning of buildings", ("CLEANING SERVICES", "CLEANERS")), 6),
    (_I("81300", "Landscape service activities", ("LANDSCAPES", "GARDENS")), 4),
    (
        _I(
            "82110",
            "Combined office administrative service activities",
            ("ADMIN SERVICES", "OFFICE SERVICES"),
        ),
        3,
    ),
    (
        _I(
            "82990",
            "Other business support service activities n.e.c.",
            ("SERVICES", "SOLUTIONS", "VENTURES"),
        ),
        24,
    ),
    (_I("85590", "Other education n.e.c.", ("TUTORS", "ACADEMY", "LEARNING")), 6),
    (_I("85600", "Educational support services", ("EDUCATION", "TRAINING")), 3),
    (_I("86230", "Dental practice activities", ("DENTAL", "DENTAL CARE")), 2),
    (_I("86900", "Other human health activities", ("HEALTHCARE", "THERAPY", "CLINIC")), 10),
    (_I("87900", "Other residential care activities n.e.c.", ("CARE", "CARE HOMES")), 3),
    (
        _I(
            "88990",
            "Other social work activities without accommodation n.e.c.",
            ("SUPPORT", "COMMUNITY CARE"),
        ),
        4,
    ),
    (_I("90030", "Artistic creation", ("ARTS", "CREATIONS")), 4),
    (_I("93130", "Fitness facilities", ("FITNESS", "GYM")), 4),
    (_I("93199", "Other sports activities", ("SPORTS", "ATHLETICS")), 3),
    (
        _I("94990", "Activities of other membership organisations n.e.c.", ("ASSOCIATION", "CLUB")),
        3,
    ),
    (_I("96020", "Hairdressing and other beauty treatment", ("HAIR", "BEAUTY", "SALON")), 9),
    (_I("96090", "Other service activities n.e.c.", ("SERVICES", "ENTERPRISES")), 12),
    (_I("98000", "Residents property management", ("MANAGEMENT COMPANY", "RESIDENTS")), 8),
    (_I("99999", "Dormant Company", ("HOLDINGS", "VENTURES", "ENTERPRISES")), 10),
)
INDUSTRY_TABLE: Final = Weighted(INDUSTRIES)
SIC_DESCRIPTIONS: Final[dict[str, str]] = {i.code: i.description for i, _ in INDUSTRIES}
# Pre-2007 codes still present on some old companies, and the literal used when none were given.
LEGACY_SIC: Final[tuple[tuple[str, str], ...]] = (
    ("7499", "Non-trading company"),
    ("9999", "Dormant Company"),
    ("9800", "Residents property management"),
    ("7415", "Holding Companies including Head Offices"),
)
SIC_DESCRIPTIONS.update(LEGACY_SIC)
NONE_SUPPLIED: Final = "None Supplied"

NAME_WORDS: Final[tuple[str, ...]] = (
    "ABBEYFIELD",
    "ALDER",
    "ALDERLEY",
    "AMBERLEY",
    "ARDMORE",
    "ASHCOMBE",
    "ASHDOWN",
    "ASPEN",
    "ATLAS",
    "AVON",
    "BANKSIDE",
    "BARLEY",
    "BEACON",
    "BECKETT",
    "BEECHWOOD",
    "BELLHAVEN",
    "BIRCHFIELD",
    "BLACKTHORN",
    "BLUEBELL",
    "BRAMBLEFIELD",
    "BRIARWOOD",
    "BRIDGEWATER",
    "BRIGHTWATER",
    "BROADOAK",
    "BROOKSIDE",
    "CALDER",
    "CAMDEN",
    "CARRINGTON",
    "CASTLEGATE",
    "CEDAR",
    "CHALKHILL",
    "CHARNWOOD",
    "CHERRYTREE",
    "CLEARVIEW",
    "COBALT",
    "COPPERFIELD",
    "CORNERSTONE",
    "COTSWOLD",
    "CRESTWOOD",
    "DALESIDE",
    "DERWENT",
    "EASTGATE",
    "ELMSTEAD",
    "EVERGREEN",
    "FAIRFIELD",
    "FALCON",
    "FERNDALE",
    "FOXGLOVE",
    "GLENCAIRN",
    "GOLDCREST",
    "GRANITE",
    "GREENACRE",
    "HALDEN",
    "HARBOUR",
    "HARROWGATE",
    "HAWTHORN",
    "HEATHER",
    "HIGHFIELD",
    "HOLLINS",
    "HORIZON",
    "IRONBRIDGE",
    "IVYBRIDGE",
    "JUNIPER",
    "KESTREL",
    "KINGFISHER",
    "LAKESIDE",
    "LARKSPUR",
    "LAUREL",
    "LIMESTONE",
    "LINDEN",
    "LONGMEADOW",
    "MAPLE",
    "MARLOW",
    "MAYFIELD",
    "MEADOWBANK",
    "MERIDIAN",
    "MILLBROOK",
    "MOORGATE",
    "MOSSGIEL",
    "NORTHGATE",
    "NORTHSTAR",
    "OAKLEIGH",
    "ORCHARD",
    "ORION",
    "PEMBERLEY",
    "PENROSE",
    "PINNACLE",
    "QUANTOCK",
    "QUARRY",
    "QUILLON",
    "RAVENSWOOD",
    "REDWING",
    "RIVERSIDE",
    "ROSEWOOD",
    "ROWAN",
    "SALTIRE",
    "SANDSTONE",
    "SEVERN",
    "SILVERBIRCH",
    "SKYLARK",
    "SOUTHWARK",
    "STAGSHAW",
    "STONEBRIDGE",
    "SUMMIT",
    "SWALLOW",
    "TAMAR",
    "THISTLE",
    "THORNBURY",
    "TREVELYAN",
    "TUDOR",
    "VALEWOOD",
    "VANGUARD",
    "VELLACOTT",
    "WESTBROOK",
    "WESTFIELD",
    "WHITEHALL",
    "WILLOWBANK",
    "WINDRUSH",
    "WYCHWOOD",
    "WYNDHAM",
    "YEW TREE",
    "ZENITH",
    "APEX",
    "NOVA",
    "PRIME",
    "SUMMIT",
    "UNITY",
    "ELITE",
    "PREMIER",
    "CROWN",
    "ROYAL OAK",
    "BLUE SKY",
    "GREEN LEAF",
    "RED KITE",
    "NORTH STAR",
    "SILVER LINE",
)

SURNAMES: Final[tuple[str, ...]] = (
    "SMITH",
    "JONES",
    "TAYLOR",
    "BROWN",
    "WILLIAMS",
    "WILSON",
    "JOHNSON",
    "DAVIES",
    "ROBINSON",
    "WRIGHT",
    "THOMPSON",
    "EVANS",
    "WALKER",
    "WHITE",
    "ROBERTS",
    "GREEN",
    "HALL",
    "WOOD",
    "JACKSON",
    "CLARKE",
    "PATEL",
    "KHAN",
    "LEWIS",
    "JAMES",
    "PHILLIPS",
    "MASON",
    "MITCHELL",
    "ROSE",
    "DAVIS",
    "RODRIGUEZ",
    "COX",
    "ALEXANDER",
    "MORGAN",
    "MOORE",
    "MARTIN",
    "PRICE",
    "CAMPBELL",
    "MURPHY",
    "KELLY",
    "O'BRIEN",
    "O'NEILL",
    "MCDONALD",
    "MACLEOD",
    "STEWART",
    "REID",
    "FRASER",
    "SINGH",
    "KAUR",
    "AHMED",
    "ALI",
    "HUSSAIN",
    "SHAH",
    "CHOWDHURY",
    "BEGUM",
    "NGUYEN",
    "CHEN",
    "WANG",
    "LI",
    "ZHANG",
    "KOWALSKI",
    "NOWAK",
    "WISNIEWSKI",
    "POPESCU",
    "IONESCU",
    "ROSSI",
    "MARCHETTI",
    "GARCIA",
    "FERNANDES",
    "SILVA",
    "OKAFOR",
    "ADEYEMI",
    "MENSAH",
    "OYELARAN",
    "NWOSU",
    "HOLT",
    "FLETCHER",
    "BARKER",
    "HUGHES",
    "EDWARDS",
    "TURNER",
    "COLLINS",
    "STEVENS",
    "HARRIS",
    "BENNETT",
    "CARTER",
    "PARKER",
    "SHAW",
    "LLOYD",
    "PRITCHARD",
    "GRIFFITHS",
    "OWEN",
    "MORRIS",
    "REES",
    "POWELL",
    "KNIGHT",
    "ELLIS",
    "BAILEY",
    "CHAPMAN",
    "WEBB",
    "HARRISON",
    "GRAHAM",
    "KENNEDY",
    "SUTHERLAND",
    "SMITH-JONES",
    "HAMILTON-BROWN",
    "VAN DER BERG",
    "DE SOUZA",
    "D'ARCY",
    "FITZGERALD",
    "TREVELYAN",
    "PENROSE",
    "TREMAINE",
    "HALDANE",
    "ASHWORTH",
    "HOLLOWAY",
    "WESTWOOD",
)
FORENAMES: Final[tuple[str, ...]] = (
    "James",
    "John",
    "David",
    "Michael",
    "Paul",
    "Andrew",
    "Mark",
    "Richard",
    "Peter",
    "Stephen",
    "Christopher",
    "Daniel",
    "Thomas",
    "Matthew",
    "Robert",
    "William",
    "Simon",
    "Mohammed",
    "Muhammad",
    "Ahmed",
    "Imran",
    "Rajesh",
    "Sanjay",
    "Arjun",
    "Wei",
    "Jun",
    "Piotr",
    "Tomasz",
    "Andrei",
    "Luca",
    "Marco",
    "Carlos",
    "Joao",
    "Oluwaseun",
    "Chinedu",
    "Kwame",
    "Liam",
    "Connor",
    "Callum",
    "Ewan",
    "Rhys",
    "Gareth",
    "Owain",
    "Sarah",
    "Emma",
    "Claire",
    "Rachel",
    "Laura",
    "Helen",
    "Nicola",
    "Karen",
    "Susan",
    "Elizabeth",
    "Catherine",
    "Victoria",
    "Charlotte",
    "Sophie",
    "Hannah",
    "Olivia",
    "Amelia",
    "Priya",
    "Aisha",
    "Fatima",
    "Nadia",
    "Mei",
    "Anna",
    "Agnieszka",
    "Ioana",
    "Giulia",
    "Maria",
    "Ana",
    "Adaeze",
    "Chiamaka",
    "Ama",
    "Siobhan",
    "Niamh",
    "Aoife",
    "Eilidh",
    "Catriona",
    "Ffion",
    "Cerys",
)
MIDDLE_NAMES: Final[tuple[str, ...]] = (
    "John",
    "James",
    "Edward",
    "George",
    "Alexander",
    "Giovanni",
    "Kumar",
    "Ali",
    "Chinwe",
    "Louise",
    "Anne",
    "Marie",
    "Jane",
    "Elizabeth",
    "Rose",
    "Grace",
    "Ifeoma",
    "Mary",
)
TITLES: Final = Weighted([("Dr", 60), ("Sir", 6), ("Professor", 8), ("Lady", 3), ("Dame", 2)])

NATIONALITIES: Final = Weighted(
    [
        ("British", 8_000),
        ("English", 300),
        ("Welsh", 80),
        ("Scottish", 120),
        ("Irish", 150),
        ("Indian", 200),
        ("Pakistani", 120),
        ("Polish", 150),
        ("Romanian", 140),
        ("Italian", 90),
        ("Chinese", 100),
        ("Nigerian", 90),
        ("Portuguese", 60),
        ("Spanish", 50),
        ("Bulgarian", 50),
        ("American", 60),
        ("German", 40),
        ("French", 40),
        ("Bangladeshi", 50),
        ("Ghanaian", 30),
        ("British,Irish", 10),
        ("Unknown", 5),
    ]
)
OCCUPATIONS: Final = Weighted(
    [
        ("Director", 4_000),
        ("Company Director", 2_500),
        ("Businessman", 300),
        ("Businesswoman", 200),
        ("Consultant", 300),
        ("Accountant", 150),
        ("Engineer", 200),
        ("Software Developer", 150),
        ("Builder", 200),
        ("Electrician", 100),
        ("Plumber", 80),
        ("Chef", 80),
        ("Retired", 150),
        ("Self Employed", 200),
        ("Managing Director", 250),
        ("Logistics Manager", 40),
        ("Solicitor", 40),
        ("Property Developer", 120),
        ("Hairdresser", 40),
        ("Taxi Driver", 60),
        ("None", 40),
    ]
)
CORPORATE_OFFICER_WORDS: Final[tuple[str, ...]] = (
    "SECRETARIAL SERVICES LIMITED",
    "NOMINEES LIMITED",
    "CORPORATE SERVICES LTD",
    "DIRECTORS LIMITED",
    "HOLDINGS LIMITED",
    "REGISTRARS LIMITED",
    "TRUSTEES LIMITED",
)


class Town(NamedTuple):
    """A post town, its county (may be empty) and its postcode districts."""

    town: str
    county: str
    country: str
    districts: tuple[str, ...]


def _districts(area: str, low: int, high: int) -> tuple[str, ...]:
    return tuple(f"{area}{n}" for n in range(low, high + 1))


ENGLAND_TOWNS: Final = Weighted(
    [
        (
            Town(
                "LONDON",
                "",
                "ENGLAND",
                _districts("E", 1, 18)
                + _districts("N", 1, 22)
                + _districts("SE", 1, 28)
                + _districts("SW", 1, 20)
                + _districts("W", 1, 14)
                + _districts("NW", 1, 11)
                + ("EC1V", "EC2A", "EC3M", "WC1N", "WC2H"),
            ),
            260,
        ),
        (Town("MANCHESTER", "GREATER MANCHESTER", "ENGLAND", _districts("M", 1, 40)), 40),
        (Town("BIRMINGHAM", "WEST MIDLANDS", "ENGLAND", _districts("B", 1, 99)), 45),
        (Town("LEEDS", "WEST YORKSHIRE", "ENGLAND", _districts("LS", 1, 29)), 25),
        (Town("SHEFFIELD", "SOUTH YORKSHIRE", "ENGLAND", _districts("S", 1, 36)), 15),
        (Town("BRISTOL", "", "ENGLAND", _districts("BS", 1, 41)), 20),
        (Town("LIVERPOOL", "MERSEYSIDE", "ENGLAND", _districts("L", 1, 38)), 18),
        (Town("NOTTINGHAM", "NOTTINGHAMSHIRE", "ENGLAND", _districts("NG", 1, 25)), 14),
        (Town("LEICESTER", "LEICESTERSHIRE", "ENGLAND", _districts("LE", 1, 19)), 14),
        (Town("NEWCASTLE UPON TYNE", "TYNE AND WEAR", "ENGLAND", _districts("NE", 1, 15)), 12),
        (Town("NORTHAMPTON", "NORTHAMPTONSHIRE", "ENGLAND", _districts("NN", 1, 7)), 8),
        (Town("READING", "BERKSHIRE", "ENGLAND", _districts("RG", 1, 31)), 9),
        (Town("OXFORD", "OXFORDSHIRE", "ENGLAND", _districts("OX", 1, 4)), 6),
        (Town("CAMBRIDGE", "CAMBRIDGESHIRE", "ENGLAND", _districts("CB", 1, 5)), 7),
        (Town("NORWICH", "NORFOLK", "ENGLAND", _districts("NR", 1, 14)), 6),
        (Town("IPSWICH", "SUFFOLK", "ENGLAND", _districts("IP", 1, 9)), 5),
        (Town("SOUTHAMPTON", "HAMPSHIRE", "ENGLAND", _districts("SO", 14, 19)), 7),
        (Town("BRIGHTON", "EAST SUSSEX", "ENGLAND", _districts("BN", 1, 3)), 7),
        (Town("CROYDON", "SURREY", "ENGLAND", _districts("CR", 0, 9)), 7),
        (Town("GUILDFORD", "SURREY", "ENGLAND", _districts("GU", 1, 5)), 5),
        (Town("MAIDSTONE", "KENT", "ENGLAND", _districts("ME", 14, 18)), 5),
        (Town("CHELMSFORD", "ESSEX", "ENGLAND", _districts("CM", 1, 3)), 6),
        (Town("SOUTHEND-ON-SEA", "ESSEX", "ENGLAND", _districts("SS", 0, 9)), 5),
        (Town("WATFORD", "HERTFORDSHIRE", "ENGLAND", _districts("WD", 17, 25)), 5),
        (Town("ST. ALBANS", "HERTFORDSHIRE", "ENGLAND", _districts("AL", 1, 4)), 4),
        (Town("MILTON KEYNES", "BUCKINGHAMSHIRE", "ENGLAND", _districts("MK", 1, 19)), 6),
        (Town("LUTON", "BEDFORDSHIRE", "ENGLAND", _districts("LU", 1, 4)), 4),
        (Town("COVENTRY", "WEST MIDLANDS", "ENGLAND", _districts("CV", 1, 8)), 6),
        (Town("WOLVERHAMPTON", "WEST MIDLANDS", "ENGLAND", _districts("WV", 1, 14)), 5),
        (Town("STOKE-ON-TRENT", "STAFFORDSHIRE", "ENGLAND", _districts("ST", 1, 12)), 4),
        (Town("DERBY", "DERBYSHIRE", "ENGLAND", _districts("DE", 1, 24)), 5),
        (Town("HULL", "EAST RIDING OF YORKSHIRE", "ENGLAND", _districts("HU", 1, 17)), 4),
        (Town("YORK", "NORTH YORKSHIRE", "ENGLAND", _districts("YO", 1, 32)), 4),
        (Town("HARROGATE", "NORTH YORKSHIRE", "ENGLAND", _districts("HG", 1, 5)), 3),
        (Town("BRADFORD", "WEST YORKSHIRE", "ENGLAND", _districts("BD", 1, 22)), 6),
        (Town("PRESTON", "LANCASHIRE", "ENGLAND", _districts("PR", 1, 9)), 4),
        (Town("BOLTON", "GREATER MANCHESTER", "ENGLAND", _districts("BL", 1, 7)), 4),
        (Town("WARRINGTON", "CHESHIRE", "ENGLAND", _districts("WA", 1, 5)), 4),
        (Town("CHESTER", "CHESHIRE", "ENGLAND", _districts("CH", 1, 4)), 3),
        (Town("MIDDLESBROUGH", "CLEVELAND", "ENGLAND", _districts("TS", 1, 9)), 3),
        (Town("EXETER", "DEVON", "ENGLAND", _districts("EX", 1, 6)), 4),
        (Town("PLYMOUTH", "DEVON", "ENGLAND", _districts("PL", 1, 9)), 4),
        (Town("TRURO", "CORNWALL", "ENGLAND", _districts("TR", 1, 4)), 2),
        (Town("BOURNEMOUTH", "DORSET", "ENGLAND", _districts("BH", 1, 11)), 4),
        (Town("BATH", "SOMERSET", "ENGLAND", _districts("BA", 1, 2)), 3),
        (Town("GLOUCESTER", "GLOUCESTERSHIRE", "ENGLAND", _districts("GL", 1, 4)), 3),
        (Town("CHELTENHAM", "GLOUCESTERSHIRE", "ENGLAND", _districts("GL", 50, 53)), 3),
        (Town("SWINDON", "WILTSHIRE", "ENGLAND", _districts("SN", 1, 5)), 4),
        (Town("WORCESTER", "WORCESTERSHIRE", "ENGLAND", _districts("WR", 1, 5)), 3),
        (Town("SHREWSBURY", "SHROPSHIRE", "ENGLAND", _districts("SY", 1, 5)), 2),
        (Town("CARDIFF", "SOUTH GLAMORGAN", "WALES", _districts("CF", 10, 24)), 10),
        (Town("SWANSEA", "WEST GLAMORGAN", "WALES", _districts("SA", 1, 7)), 5),
        (Town("NEWPORT", "GWENT", "WALES", _districts("NP", 10, 20)), 4),
        (Town("WREXHAM", "CLWYD", "WALES", _districts("LL", 11, 14)), 2),
    ]
)
SCOTLAND_TOWNS: Final = Weighted(
    [
        (Town("GLASGOW", "", "SCOTLAND", _districts("G", 1, 53)), 35),
        (Town("EDINBURGH", "", "SCOTLAND", _districts("EH", 1, 17)), 30),
        (Town("ABERDEEN", "ABERDEENSHIRE", "SCOTLAND", _districts("AB", 10, 25)), 12),
        (Town("DUNDEE", "ANGUS", "SCOTLAND", _districts("DD", 1, 5)), 6),
        (Town("KIRKCALDY", "FIFE", "SCOTLAND", _districts("KY", 1, 2)), 4),
        (Town("INVERNESS", "INVERNESS-SHIRE", "SCOTLAND", _districts("IV", 1, 3)), 4),
        (Town("PERTH", "PERTHSHIRE", "SCOTLAND", _districts("PH", 1, 2)), 3),
        (Town("STIRLING", "STIRLINGSHIRE", "SCOTLAND", _districts("FK", 7, 9)), 3),
    ]
)
NORTHERN_IRELAND_TOWNS: Final = Weighted(
    [
        (Town("BELFAST", "COUNTY ANTRIM", "NORTHERN IRELAND", _districts("BT", 1, 17)), 50),
        (Town("LONDONDERRY", "COUNTY LONDONDERRY", "NORTHERN IRELAND", ("BT47", "BT48")), 10),
        (Town("NEWRY", "COUNTY DOWN", "NORTHERN IRELAND", ("BT34", "BT35")), 6),
        (Town("LISBURN", "COUNTY ANTRIM", "NORTHERN IRELAND", ("BT27", "BT28")), 6),
    ]
)
POSTCODE_LETTERS: Final = "ABDEFGHJLNPQRSTUWXYZ"

STREET_NAMES: Final[tuple[str, ...]] = (
    "HIGH",
    "STATION",
    "CHURCH",
    "MILL",
    "VICTORIA",
    "CLARENCE",
    "QUEEN",
    "KING",
    "PARK",
    "LONDON",
    "BATH",
    "WESTBOURNE",
    "NORTH",
    "SOUTH",
    "MARKET",
    "BRIDGE",
    "GEORGE",
    "ALBERT",
    "OLD",
    "MOOR",
    "ORCHARD",
    "FORTH VIEW",
    "CASTLE",
    "ABBEY",
    "HARBOUR",
    "RIVERSIDE",
    "YORK",
    "WINDSOR",
    "GROSVENOR",
    "BROAD",
    "GREEN",
    "HILL",
    "MANOR",
    "SCHOOL",
    "ELM",
    "OAK",
    "CHAPEL",
    "NEW",
    "BOOTH",
    "ST MARY'S",
    "ST JOHN'S",
    "WELLINGTON",
    "NELSON",
    "REGENT",
)
STREET_TYPES: Final[tuple[str, ...]] = (
    "ROAD",
    "STREET",
    "LANE",
    "AVENUE",
    "CLOSE",
    "DRIVE",
    "WAY",
    "PARADE",
    "SQUARE",
    "TERRACE",
    "CRESCENT",
    "GARDENS",
    "PLACE",
    "COURT",
)
BUILDING_NAMES: Final[tuple[str, ...]] = (
    "KESTREL COURT",
    "CARDINAL HOUSE",
    "THE OLD GRANARY",
    "ABBEY HOUSE",
    "KINGFISHER HOUSE",
    "VILLAGE HALL",
    "CENTURY HOUSE",
    "REGENCY HOUSE",
    "THE COACH HOUSE",
    "MILL HOUSE",
    "BUSINESS CENTRE",
    "ENTERPRISE HOUSE",
    "CHARTER HOUSE",
    "VICTORIA CHAMBERS",
    "INNOVATION CENTRE",
    "THE OLD SCHOOL",
    "CANADA HOUSE",
    "STATION HOUSE",
)
LOCALITIES: Final[tuple[str, ...]] = (
    "MILLBROOK INDUSTRIAL ESTATE",
    "COVENT GARDEN",
    "CITY CENTRE",
    "LITTLE EASTON",
    "BUSINESS PARK",
    "TRADING ESTATE",
    "OLD TOWN",
    "RIVERSIDE PARK",
    "ENTERPRISE PARK",
)
# Registered-office services used by very many small companies (a realistic cluster).
FORMATION_AGENT_ADDRESSES: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("71-75 SHELTON STREET", "COVENT GARDEN", "LONDON", "WC2H 9JQ"),
    ("20-22 WENLOCK ROAD", "", "LONDON", "N1 7GU"),
    ("KEMP HOUSE", "160 CITY ROAD", "LONDON", "EC1V 2NX"),
    ("128 CITY ROAD", "", "LONDON", "EC1V 2NX"),
    ("167-169 GREAT PORTLAND STREET", "5TH FLOOR", "LONDON", "W1W 5PF"),
)
CARE_OF: Final[tuple[str, ...]] = (
    "C/O HALDEN ACCOUNTANCY",
    "C/O TARRANT RECOVERY LLP",
    "C/O KNOLL & PARTNERS",
    "C/O BRIGHTWATER ACCOUNTANTS",
    "MOSSGIEL FACTORS",
)
