"""The editors' studio: the knowledge base in the database, drafts, publishing, rollback, the inbox."""
