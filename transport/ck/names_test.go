package ck

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNamesPrintConstantsVendorAndUnknownValues(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{CKR_OK.String(), "CKR_OK"},
		{CKR_DEVICE_ERROR.String(), "CKR_DEVICE_ERROR"},
		{CKR_TOKEN_NOT_PRESENT.String(), "CKR_TOKEN_NOT_PRESENT"},
		{CKR_AEAD_DECRYPT_FAILED.String(), "CKR_AEAD_DECRYPT_FAILED"},
		{RV(0x80000001).String(), "CKR_VENDOR_DEFINED+0x1"},
		{RV(0x7777).String(), "CKR_0x00007777"},
		{CKA_EC_PARAMS.String(), "CKA_EC_PARAMS"},
		{CKA_WRAP_TEMPLATE.String(), "CKA_WRAP_TEMPLATE"},
		{CKM_EC_KEY_PAIR_GEN.String(), "CKM_EC_KEY_PAIR_GEN"},
		{CKM_EDDSA.String(), "CKM_EDDSA"},
		{CKM_AES_KEY_WRAP.String(), "CKM_AES_KEY_WRAP"},
		{CKK_EC.String(), "CKK_EC"},
		{CKK_EC_EDWARDS.String(), "CKK_EC_EDWARDS"},
		{CKO_PRIVATE_KEY.String(), "CKO_PRIVATE_KEY"},
		{CKU_USER.String(), "CKU_USER"},
		{CKS_RW_USER_FUNCTIONS.String(), "CKS_RW_USER_FUNCTIONS"},
		{CKG_MGF1_SHA3_256.String(), "CKG_MGF1_SHA3_256"},
		{CKD_SHA256_KDF.String(), "CKD_SHA256_KDF"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.got)
	}
}

func TestConstantValuesMatchTheSpecification(t *testing.T) {
	// Spot checks against PKCS#11 v2.40 / 3.0 pkcs11t.h, covering each family
	// and expressions the generator evaluates.
	assert.EqualValues(t, 0x30, CKR_DEVICE_ERROR)
	assert.EqualValues(t, 0x150, CKR_BUFFER_TOO_SMALL)
	assert.EqualValues(t, 0x40000211, CKA_WRAP_TEMPLATE)
	assert.EqualValues(t, 0x40000600, CKA_ALLOWED_MECHANISMS)
	assert.EqualValues(t, 0x1087, CKM_AES_GCM)
	assert.EqualValues(t, 0x2109, CKM_AES_KEY_WRAP)
	assert.EqualValues(t, 0x1057, CKM_EDDSA)
	assert.EqualValues(t, 0x40, CKK_EC_EDWARDS)
	assert.EqualValues(t, 0x4, CKO_SECRET_KEY)
	assert.EqualValues(t, 0x1, CKZ_DATA_SPECIFIED)
	assert.EqualValues(t, 0x6, CKF_RW_SESSION|CKF_SERIAL_SESSION)
	assert.Equal(t, ULONG(0xFFFFFFFFFFFFFFFF), CK_UNAVAILABLE_INFORMATION)
}

// The generated file must be what the generator writes today, so nobody
// edits it by hand and a miekg/pkcs11 upgrade shows up in review.
func TestZconstIsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	out := filepath.Join(t.TempDir(), "zconst.go")
	cmd := exec.Command(goTool, "run", "./internal/gen", out)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Run())
	want, err := os.ReadFile(out)
	require.NoError(t, err)
	have, err := os.ReadFile("zconst.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(have), "zconst.go is stale: run go generate ./transport/ck")
}
