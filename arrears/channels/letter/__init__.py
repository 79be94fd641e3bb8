"""Letters: HTML templates rendered to PDF with WeasyPrint (payment plans, final demands)."""
