"""Groups whose members perform procedures, created by migration 0002."""

IT_OPERATIONS = "IT Operations"
SECURITY_OPERATIONS = "Security Operations"
SUPPLIER_MANAGEMENT = "Supplier Management"
BUSINESS_CONTINUITY = "Business Continuity"

PERFORMER_GROUPS = (IT_OPERATIONS, SECURITY_OPERATIONS, SUPPLIER_MANAGEMENT, BUSINESS_CONTINUITY)
