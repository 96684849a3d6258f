//! Bulk loading for the demo builder: prepared inserts in one transaction.
