"""The write path: discover -> read -> date -> entries -> chunk -> embed -> store; sync."""
