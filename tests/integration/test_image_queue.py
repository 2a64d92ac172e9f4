"""The image kind through the API, the queue and a Worker, over real Postgres and Redis:
an uploaded archive of images scanned by the kind's worker (in its isolated child
process, as the spec asks), its findings listed and its redacted copy downloaded;
the kind's option bounds checked by the web app."""

from __future__ import annotations

import io
import json
import zipfile

import falcon.testing
import pytest
import zxingcpp
from PIL import Image

from dgp.plumbing.queue import JobQueue
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import ScanStore, UserStore
from dgp.plumbing.worker import Worker
from tests import imagefixtures as f
from tests.integration.conftest import auth, multipart

pytestmark = [pytest.mark.integration]


def images_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        qr = io.BytesIO()
        f.qr_code(f"mailto:{f.EMAIL}").save(qr, "PNG")
        archive.writestr("scans/qr.png", qr.getvalue())
        photo = io.BytesIO()
        Image.new("RGB", (64, 48), "white").save(photo, "JPEG")
        archive.writestr("scans/broken.jpg", photo.getvalue()[:200])
    return buffer.getvalue()


def upload(
    client: falcon.testing.TestClient,
    headers: dict[str, str],
    data: bytes,
    options: dict[str, object],
) -> falcon.testing.Result:
    fields = {"kind": "image", "options": json.dumps(options)}
    body, form = multipart(fields, "scans.zip", data)
    return client.simulate_post("/api/v1/scans", body=body, headers={**headers, **form})


def test_an_image_upload_through_the_api_queue_and_worker(
    client: falcon.testing.TestClient,
    users: UserStore,
    queue: JobQueue,
    store: ScanStore,
    settings: Settings,
    org: str,
) -> None:
    analyst = auth(users, org, "analyst")
    options = {"redact": True, "ocr": False, "faces": False}
    answer = upload(client, analyst, images_zip(), options)
    assert answer.status_code == 202, answer.text
    scan_id = answer.json["id"]
    assert Worker.for_kind("image", queue, store, settings, "i1").run_once(block_ms=100)
    scan = client.simulate_get(f"/api/v1/scans/{scan_id}", headers=analyst).json
    assert scan["status"] == "done", scan
    found = client.simulate_get(
        f"/api/v1/scans/{scan_id}/findings?limit=100", headers=analyst
    ).json["items"]
    assert sorted((x["rule_id"], x["location"]["path"]) for x in found) == [
        ("image.file.unreadable", "scans/broken.jpg"),
        ("pii.email", "scans/qr.png"),
    ]
    email = next(x for x in found if x["rule_id"] == "pii.email")
    assert email["location"]["bbox"] and email["location"]["page"] == 1
    assert f.EMAIL not in json.dumps(found)
    listed = client.simulate_get(f"/api/v1/scans/{scan_id}/artefacts", headers=analyst).json
    assert "redacted-scans_qr.png" in json.dumps(listed)
    copy = client.simulate_get(
        f"/api/v1/scans/{scan_id}/artefacts/redacted-scans_qr.png", headers=analyst
    )
    assert copy.status_code == 200
    with Image.open(io.BytesIO(copy.content)) as redacted:
        assert redacted.format == "PNG" and not redacted.info
        # the code is blacked out: nothing left to decode
        assert zxingcpp.read_barcodes(redacted) == []


@pytest.mark.parametrize(
    ("options", "why"),
    [({"max_pixels": 10**12}, "max_pixels"), ({"max_frames": 0}, "max_frames")],
)
def test_image_options_past_the_servers_bounds_are_refused(
    client: falcon.testing.TestClient,
    users: UserStore,
    org: str,
    options: dict[str, object],
    why: str,
) -> None:
    answer = upload(client, auth(users, org, "analyst"), images_zip(), options)
    assert answer.status_code == 400 and why in answer.text
