"""One module per action: plain functions with keyword arguments, transactional;
they return a result or raise a community_commerce.errors.CommerceError."""
