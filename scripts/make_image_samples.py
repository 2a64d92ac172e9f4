"""Writes samples/image/ from the test builders (tests/imagefixtures.py): every image
there is generated, with invented data (the BSN passes the 11-proef on purpose).

    python scripts/make_image_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import imagefixtures as f  # noqa: E402

OUT = ROOT / "samples" / "image"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    f.text_page(points=11, dpi=200).image.save(OUT / "brief.png")
    passport = f.text_page(("PASPOORT  PASSPORT", *f.td3()), points=10, font=f.MONO)
    passport.image.save(OUT / "paspoort.png")
    f.exif_jpeg(OUT / "vakantiefoto.jpg")
    f.qr_code(f"mailto:{f.EMAIL}").save(OUT / "qr-contact.png")
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
