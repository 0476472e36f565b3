"""Reference data of the complaints app: the complaint categories (complaints/data/categories.csv).

Upserted by code in file order (the order is the categories' position); loaded with the regions and
agencies by the `load_reference` command.
"""

from pathlib import Path

from django.core.management.base import CommandError

from agencies.reference import upsert

from .models import Category

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"


def load_categories(rows) -> tuple[int, int]:
    """Returns (created, updated)."""
    by_code, created, updated = {}, 0, 0
    for position, row in enumerate(rows, start=1):
        code = row["code"]
        if not code or code in by_code:
            raise CommandError(f"categories.csv baris {position + 1}: kode kosong atau ganda ({code!r})")
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
        }
        category, was_created, was_updated = upsert(Category, code, values)
        created += was_created
        updated += was_updated
        by_code[code] = category
    return created, updated
