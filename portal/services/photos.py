"""People's photos on the public site: a chair uploads one for a speaker, panelist, organizer or steering-committee
member; it is kept as two re-encoded squares (``images.squares``), the sizes the pages show."""

from __future__ import annotations

from portal import images
from portal.db import db
from portal.models import Person, User
from portal.services import audit
from portal.services.sponsors import forget_files, store_file

#: The pages show a person at 96 px; 192 px for sharp screens (``srcset``).
SIZES = (96, 192)


def set_photo(actor: User, person: Person, data: bytes) -> None:
    """Check and re-encode ``data`` (refused: ``images.ImageRefused``, nothing stored), then show it for ``person``."""
    small, large = images.squares(data, SIZES, what="photo")
    old = (person.photo_id, person.photo_small_id)
    person.photo_small_id = store_file(small.data, small.content_type, f"{person.slug}-96.webp").id
    person.photo_id = store_file(large.data, large.content_type, f"{person.slug}-192.webp").id
    forget_files(*old)
    audit.record(actor, "content.photo", f"Photo of {person.name} ({person.role.value}) uploaded")
    db.session.flush()


def remove_photo(actor: User, person: Person) -> bool:
    """Show the initials again; False when there was no photo."""
    if person.photo_id is None and person.photo_small_id is None:
        return False
    old = (person.photo_id, person.photo_small_id)
    person.photo_id = person.photo_small_id = None
    forget_files(*old)
    audit.record(actor, "content.photo", f"Photo of {person.name} ({person.role.value}) removed")
    db.session.flush()
    return True
