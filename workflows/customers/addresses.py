"""Postal address layouts: which parts of a customer's address a country uses and in which
order they are written. One set of columns holds both layouts (street `address_line`,
`district`, `city`, `region`, `postal_code`, `country`), so changing a customer's country never
loses a part; only the form's order and the written address change.

- Chinese (CN): from the largest part to the smallest, 省 市 区 街道 (province = `region`,
  city, district, street), then the postal code: "广东省 深圳市 南山区 科技园路1号, 518057".
- Western (every other country): street; postal code and city; region (state, province or
  county); country: "1 Main St, 10115 Berlin, Berlin, DE". `district` is shown there too when
  one was entered (nothing is hidden), after the street.
"""

from typing import Any, Literal

Layout = Literal["cn", "western"]

# Countries whose addresses are written from the largest part to the smallest. Taiwan, Hong
# Kong and Macau write Chinese addresses the same way, but their customers' forms and letters
# here are more often in English, so they keep the Western layout until someone asks.
LARGEST_FIRST = frozenset({"CN"})

# The form's and the CSV's parts in each layout's order (field names).
PARTS: dict[Layout, tuple[str, ...]] = {
    "cn": ("country", "region", "city", "district", "address_line", "postal_code"),
    "western": ("address_line", "district", "postal_code", "city", "region", "country"),
}


def layout_for(country: str | None) -> Layout:
    return "cn" if (country or "").strip().upper() in LARGEST_FIRST else "western"


def _part(values: Any, name: str) -> str:
    value = values.get(name) if isinstance(values, dict) else getattr(values, name, None)
    return str(value or "").strip()


def address_lines(values: Any) -> list[str]:
    """The address as written in its country's layout, one line per part group, empty parts
    left out; [] when nothing is entered. `values` is a customer or a dict of its fields."""

    def part(name: str) -> str:
        return _part(values, name)

    if layout_for(part("country")) == "cn":
        place = " ".join(filter(None, (part("region"), part("city"), part("district"))))
        lines = [" ".join(filter(None, (place, part("address_line"))))]
        lines.append(part("postal_code"))
    else:
        lines = [
            part("address_line"),
            part("district"),
            " ".join(filter(None, (part("postal_code"), part("city")))),
            part("region"),
            part("country"),
        ]
    return [line for line in lines if line]


def as_dict(values: Any) -> dict[str, Any]:
    """The layout and the written lines, for the API."""
    return {"layout": layout_for(_part(values, "country")), "lines": address_lines(values)}
