"""Documents keep the SHA-256 of what was stored, so tampering shows."""

import hashlib

from django.core.files.base import ContentFile

from arrears.ledger.models import Document, DocumentKind

from .factory import make_client


def test_a_document_records_its_hash_and_notices_a_changed_file(org, settings):
    client = make_client(org, name="Acme")
    body = b"Statement of work: three sprints."
    doc = Document(organisation=org, client=client, kind=DocumentKind.SOW, title="SOW 1")
    doc.file.save("sow.txt", ContentFile(body), save=False)
    doc.save()
    assert doc.sha256 == hashlib.sha256(body).hexdigest() and doc.size == len(body)
    assert doc.file.path.startswith(str(settings.MEDIA_ROOT))
    assert doc.verify()
    with open(doc.file.path, "ab") as fh:
        fh.write(b" And a fourth, free.")
    assert not doc.verify()
