"""Name and catalogue lists of the demo data: Thai names (romanised and in Thai script), foreign
customers, the restaurant's menu. Plain data, no logic."""

from __future__ import annotations

# (romanised, Thai script)
THAI_FIRST_NAMES = [
    ("Somchai", "สมชาย"), ("Somsak", "สมศักดิ์"), ("Suda", "สุดา"), ("Malee", "มาลี"),
    ("Niran", "นิรันดร์"), ("Pim", "พิมพ์"), ("Kanya", "กัญญา"), ("Arthit", "อาทิตย์"),
    ("Wichai", "วิชัย"), ("Ploy", "พลอย"), ("Kittisak", "กิตติศักดิ์"), ("Siriporn", "ศิริพร"),
    ("Thanawat", "ธนวัฒน์"), ("Pornthip", "พรทิพย์"), ("Anan", "อนันต์"), ("Jiraporn", "จิราพร"),
    ("Nattapong", "ณัฐพงศ์"), ("Supaporn", "สุภาพร"), ("Wanida", "วนิดา"), ("Prasert", "ประเสริฐ"),
    ("Chatchai", "ฉัตรชัย"), ("Sunee", "สุนีย์"), ("Thitima", "ฐิติมา"), ("Krit", "กฤษ"),
    ("Orawan", "อรวรรณ"), ("Apinya", "อภิญญา"), ("Chanida", "ชนิดา"), ("Tanakorn", "ธนากร"),
    ("Weerapong", "วีระพงษ์"), ("Nattaya", "ณัฐยา"), ("Pichit", "พิชิต"), ("Ratana", "รัตนา"),
]

THAI_LAST_NAMES = [
    ("Srisuk", "ศรีสุข"), ("Wongsawat", "วงศ์สวัสดิ์"), ("Rattanakorn", "รัตนากร"),
    ("Suwannarat", "สุวรรณรัตน์"), ("Thongchai", "ทองชัย"), ("Boonmee", "บุญมี"),
    ("Jaidee", "ใจดี"), ("Kaewkla", "แก้วกล้า"), ("Sukprasert", "สุขประเสริฐ"),
    ("Charoenphon", "เจริญผล"), ("Tangsiri", "ตั้งศิริ"), ("Kongkaew", "คงแก้ว"),
    ("Siriwat", "ศิริวัฒน์"), ("Meesuk", "มีสุข"), ("Petchsri", "เพชรศรี"), ("Saelim", "แซ่ลิ้ม"),
    ("Chaiyaporn", "ชัยพร"), ("Phromma", "พรหมมา"), ("Intharasuk", "อินทรสุข"),
    ("Limpanich", "ลิ้มพาณิชย์"), ("Ruangrit", "เรืองฤทธิ์"), ("Yodying", "ยอดยิ่ง"),
]

FOREIGN_FIRST_NAMES = [
    "James", "Emma", "Oliver", "Sophie", "Daniel", "Hannah", "Michael", "Sarah", "Lucas", "Mia",
    "Kenji", "Yuki", "Minjun", "Wei", "Ananya", "Ravi", "Thomas", "Laura", "David", "Chloe",
]

FOREIGN_LAST_NAMES = [
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Tanaka", "Kim", "Chen", "Mueller", "Dubois",
    "Rossi", "Anderson", "Walker", "Lee", "Nguyen", "Patel", "Clarke", "Evans", "Hughes", "Sato",
]

# sku, product name, category, price (THB incl. VAT)
RESTAURANT_MENU = [
    ("RST-001", "Pad Thai", "Restaurant", 120),
    ("RST-002", "Som Tam", "Restaurant", 90),
    ("RST-003", "Khao Pad Goong", "Restaurant", 130),
    ("RST-004", "Pad Kra Pao Moo", "Restaurant", 120),
    ("RST-005", "Tom Yum Goong", "Restaurant", 180),
    ("RST-006", "Green Curry Chicken", "Restaurant", 150),
    ("RST-007", "Khao Man Gai", "Restaurant", 100),
    ("RST-008", "Chicken Wings", "Restaurant", 160),
    ("RST-009", "French Fries", "Restaurant", 90),
    ("RST-010", "Singha Beer", "Drinks", 120),
    ("RST-011", "Chang Beer", "Drinks", 110),
    ("RST-012", "Leo Beer", "Drinks", 110),
    ("RST-013", "Heineken", "Drinks", 140),
    ("RST-014", "Coca-Cola", "Drinks", 50),
    ("RST-015", "Drinking Water", "Drinks", 30),
    ("RST-016", "Thai Iced Tea", "Drinks", 70),
    ("RST-017", "Iced Americano", "Drinks", 80),
    ("RST-018", "Fresh Coconut", "Drinks", 90),
    ("RST-019", "Orange Juice", "Drinks", 90),
    ("RST-020", "Soda Water", "Drinks", 40),
]

# sku, product name, category, price per hour-block
BAY_PRODUCTS = [
    ("BAY-1H", "Bay Rental 1 Hour", "Bay", 600),
    ("BAY-2H", "Bay Rental 2 Hours", "Bay", 1100),
    ("BAY-PEAK-1H", "Bay Rental 1 Hour (Peak)", "Bay", 800),
    ("CLB-RENT", "Club Rental", "Bay", 150),
    ("GLV-001", "Golf Glove", "Pro Shop", 450),
]
