"""The commerce plugin: merchants run group-buys, flash sales and Dutch auctions
inside forum threads. It reaches a forum only through the adapter class named by
COMMUNITY_COMMERCE_FORUM_ADAPTER (community_commerce.adapters)."""
