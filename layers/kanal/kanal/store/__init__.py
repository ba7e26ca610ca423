"""DynamoDB adapters: PynamoDB models bound to their tables at runtime, mapped to domain models here."""
