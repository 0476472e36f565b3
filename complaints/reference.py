"""Reference data of the complaints app: the complaint categories (complaints/data/categories.csv)
and the default routing rules (complaints/data/routing.csv).

Categories are upserted by code in file order (the order is the categories' position). Routing
rules missing from the database are created; a rule an admin changed is left as it is. Both are
loaded with the regions and agencies by the `load_reference` command.
"""

from pathlib import Path

from django.core.management.base import CommandError

from agencies.models import Agency, Region
from agencies.reference import upsert

from .models import Category, RoutingRule

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"
ROUTING_CSV = Path(__file__).resolve().parent / "data" / "routing.csv"


def load_categories(rows) -> tuple[int, int]:
    """Returns (created, updated)."""
    existing = Category.objects.in_bulk(field_name="code")
    levels = set(Category.Level.values)
    by_code, created, updated = {}, 0, 0
    for position, row in enumerate(rows, start=1):
        code = row["code"]
        if not code or code in by_code:
            raise CommandError(f"categories.csv baris {position + 1}: kode kosong atau ganda ({code!r})")
        level = row.get("level") or Category.Level.REGENCY
        if level not in levels:
            raise CommandError(f"categories.csv baris {position + 1}: tingkat tidak dikenal {level!r}")
        parent = None
        if row["parent_code"]:
            parent = by_code.get(row["parent_code"])
            if parent is None:
                raise CommandError(
                    f"categories.csv baris {position + 1}: induk {row['parent_code']!r} belum didefinisikan"
                )
        values = {
            "name": row["name"],
            "name_en": row["name_en"],
            "parent": parent,
            "position": position,
            "level": level,
        }
        category, was_created, was_updated = upsert(Category, code, values, existing.get(code), found=True)
        created += was_created
        updated += was_updated
        by_code[code] = category
    return created, updated


def load_routing(rows) -> tuple[int, int]:
    """Returns (created, 0): existing rules are never changed."""
    categories = Category.objects.in_bulk(field_name="code")
    regions = Region.objects.in_bulk()
    agencies = Agency.objects.in_bulk(field_name="code")
    existing = set(RoutingRule.objects.values_list("category_id", "region_id"))
    seen, new = set(), []
    for line, row in enumerate(rows, start=2):
        category = categories.get(row["category_code"])
        region_code = row["region_code"] or None
        agency = agencies.get(row["agency_code"])
        if category is None or category.parent_id is None:
            raise CommandError(f"routing.csv baris {line}: kategori {row['category_code']!r} tidak dikenal")
        if region_code is not None and region_code not in regions:
            raise CommandError(f"routing.csv baris {line}: wilayah {region_code!r} tidak dikenal")
        if agency is None:
            raise CommandError(f"routing.csv baris {line}: instansi {row['agency_code']!r} tidak dikenal")
        key = (category.pk, region_code)
        if key in seen:
            raise CommandError(f"routing.csv baris {line}: aturan ganda untuk {row['category_code']!r}")
        seen.add(key)
        if key not in existing:
            new.append(RoutingRule(category=category, region_id=region_code, agency=agency))
    RoutingRule.objects.bulk_create(new, batch_size=500)
    return len(new), 0
