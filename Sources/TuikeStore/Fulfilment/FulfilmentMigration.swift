/// Migration 23: physical goods. Variants with their own stock (taken by the statement that stores
/// an order, never below zero); the variant and address of an order; its fulfilment (parcels, the
/// auto-receipt deadline, the receipt); after-sales, at most one open per order line (a unique
/// partial index, so concurrent requests cannot open two).
enum FulfilmentMigration {
    static let migration = Migration(version: 23, name: "physical_goods", statements: [
        """
        CREATE TABLE product_skus (
            id TEXT PRIMARY KEY,
            product_id TEXT NOT NULL REFERENCES products (id),
            code TEXT NOT NULL,
            attributes TEXT NOT NULL,
            price BIGINT NOT NULL CHECK (price >= 0),
            stock BIGINT NOT NULL CHECK (stock >= 0),
            rule TEXT,
            position BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            UNIQUE (product_id, code)
        )
        """,
        "ALTER TABLE order_items ADD COLUMN sku TEXT",
        "ALTER TABLE order_items ADD COLUMN sku_id TEXT",
        "ALTER TABLE orders ADD COLUMN shipping_address TEXT",
        "ALTER TABLE orders ADD COLUMN fulfilment_status TEXT CHECK (fulfilment_status IS NULL OR fulfilment_status IN ('unfulfilled', 'shipped', 'received'))",
        "ALTER TABLE orders ADD COLUMN last_shipped_at BIGINT",
        "ALTER TABLE orders ADD COLUMN receive_by BIGINT",
        "ALTER TABLE orders ADD COLUMN received_at BIGINT",
        // The auto-receipt sweep and the console's fulfilment queue read only orders with goods.
        "CREATE INDEX orders_to_receive ON orders (receive_by) WHERE fulfilment_status = 'shipped'",
        "CREATE INDEX orders_by_fulfilment ON orders (fulfilment_status, id) WHERE fulfilment_status IS NOT NULL",
        """
        CREATE TABLE shipments (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            carrier TEXT NOT NULL,
            tracking_number TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            UNIQUE (order_id, tracking_number)
        )
        """,
        """
        CREATE TABLE after_sales (
            id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL REFERENCES orders (id),
            order_item_id TEXT NOT NULL REFERENCES order_items (id),
            buyer_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('refund', 'return')),
            status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'returning', 'refunded', 'refused', 'cancelled')),
            amount BIGINT NOT NULL CHECK (amount > 0),
            quantity BIGINT NOT NULL CHECK (quantity > 0),
            reason TEXT NOT NULL,
            photos TEXT NOT NULL,
            answer TEXT,
            return_carrier TEXT,
            return_tracking_number TEXT,
            refund_id TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX after_sales_one_open_per_line ON after_sales (order_item_id) WHERE status IN ('requested', 'approved', 'returning')",
        "CREATE INDEX after_sales_by_status ON after_sales (status, id)",
        "CREATE INDEX after_sales_by_order ON after_sales (order_id)",
        "CREATE INDEX after_sales_by_buyer ON after_sales (buyer_id, id)",
    ])
}

/// Migration 27: what each line has put back into stock (a cancellation, a return received, goods
/// refunded in full before they shipped), so no path puts back more units than the line took; and
/// the lines a tier-ladder adjustment was computed from, so it waits for their goods like they do.
enum RestockMigration {
    static let migration = Migration(version: 27, name: "line_restock_and_adjustment_lines", statements: [
        "ALTER TABLE order_items ADD COLUMN restocked BIGINT NOT NULL DEFAULT 0",
        """
        UPDATE order_items SET restocked = quantity WHERE order_id IN (SELECT id FROM orders WHERE status = 'cancelled')
        """,
        """
        UPDATE order_items SET restocked = (
            SELECT CASE WHEN COALESCE(SUM(a.quantity), 0) > order_items.quantity THEN order_items.quantity ELSE COALESCE(SUM(a.quantity), 0) END
            FROM after_sales a WHERE a.order_item_id = order_items.id AND a.kind = 'return' AND a.status = 'refunded')
        WHERE id IN (SELECT order_item_id FROM after_sales WHERE kind = 'return' AND status = 'refunded')
        """,
        """
        CREATE TABLE tier_adjustment_lines (
            commission_id TEXT NOT NULL REFERENCES commissions (id),
            order_item_id TEXT NOT NULL,
            not_before BIGINT NOT NULL,
            PRIMARY KEY (commission_id, order_item_id)
        )
        """,
        "CREATE INDEX tier_adjustment_lines_by_line ON tier_adjustment_lines (order_item_id)",
    ])
}
