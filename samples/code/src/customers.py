"""Sample application code with privacy problems (fake data, for the demo)."""

import hashlib
import logging

logger = logging.getLogger(__name__)

AWS_ACCESS_KEY_ID = "AKIAZ7QH4XW2LMRT9KDE"
CRM_URL = "http://crm.example.com/api/customer/export"
TEST_CUSTOMER = {"name": "Jan de Vries", "bsn": "111222333", "email": "jan.devries@example.nl"}


def store_password(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def find_customer(cursor, customer_id: str):
    logger.info(f"looking up customer {customer.email}")
    cursor.execute(f"SELECT * FROM customers WHERE id = {customer_id}")
    return cursor.fetchone()
