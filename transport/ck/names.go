package ck

import "fmt"

// nameOf prints a constant from its table, a vendor value relative to
// vendorBase, or the number with its family prefix.
func nameOf[T ~uint64](v T, table map[T]string, prefix string) string {
	if name, ok := table[v]; ok {
		return name
	}
	const vendorBase = 0x80000000
	if uint64(v) >= vendorBase && uint64(v) <= 0xFFFFFFFF {
		return fmt.Sprintf("%sVENDOR_DEFINED+0x%X", prefix, uint64(v)-vendorBase)
	}
	return fmt.Sprintf("%s0x%08X", prefix, uint64(v))
}

func (rv RV) String() string           { return nameOf(rv, rvNames, "CKR_") }
func (t AttributeType) String() string { return nameOf(t, attributeTypeNames, "CKA_") }
func (m MechanismType) String() string { return nameOf(m, mechanismTypeNames, "CKM_") }
func (c ObjectClass) String() string   { return nameOf(c, objectClassNames, "CKO_") }
func (k KeyType) String() string       { return nameOf(k, keyTypeNames, "CKK_") }
func (u UserType) String() string      { return nameOf(u, userTypeNames, "CKU_") }
func (s State) String() string         { return nameOf(s, stateNames, "CKS_") }
func (g MGFType) String() string       { return nameOf(g, mgfTypeNames, "CKG_") }
func (d KDFType) String() string       { return nameOf(d, kdfTypeNames, "CKD_") }
