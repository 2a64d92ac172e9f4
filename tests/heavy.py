"""Libraries only a scanning process may load: documents, images, OCR, browsers, models,
and the pattern matcher. Read by the import-isolation test and bench/imports.py."""

HEAVY_LIBRARIES = (
    "pypdf",
    "pdfminer",
    "docx",
    "openpyxl",
    "pptx",
    "odf",
    "PIL",
    "hyperscan",
    "playwright",
    "onnx",
    "h5py",
    "jinja2",
    "torch",
    "cv2",
)
