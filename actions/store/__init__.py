"""The store behind the actions: customers, products, orders and returns (SQL implementation)."""
