// HDF5 for Swift. H5P_DEFAULT, the H5F_ACC_* flags and the predefined type ids
// (H5T_NATIVE_DOUBLE and friends) are macros that expand to globals behind
// H5open(); Swift cannot import them, so they are static inline functions here.
#ifndef TTCG_CHDF5_SHIM_H
#define TTCG_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

static inline hid_t ttcg_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t ttcg_H5S_ALL(void) { return H5S_ALL; }
static inline unsigned ttcg_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned ttcg_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline unsigned ttcg_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned ttcg_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned ttcg_H5F_ACC_SWMR_READ(void) { return H5F_ACC_SWMR_READ; }
static inline unsigned ttcg_H5F_ACC_SWMR_WRITE(void) { return H5F_ACC_SWMR_WRITE; }
static inline hid_t ttcg_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t ttcg_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t ttcg_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t ttcg_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t ttcg_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t ttcg_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t ttcg_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t ttcg_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t ttcg_H5T_C_S1(void) { return H5T_C_S1; }
static inline hsize_t ttcg_H5S_UNLIMITED(void) { return H5S_UNLIMITED; }

// Added for ResultStore: more property-list classes, the default error stack,
// the variable-length size marker and the newest file format.
static inline hid_t ttcg_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t ttcg_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t ttcg_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t ttcg_H5P_DATASET_ACCESS(void) { return H5P_DATASET_ACCESS; }
static inline hid_t ttcg_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t ttcg_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline size_t ttcg_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline H5F_libver_t ttcg_H5F_LIBVER_LATEST(void) { return H5F_LIBVER_LATEST; }

static inline hid_t ttcg_H5FD_SEC2(void) { return H5FD_SEC2; }

// Object references and the native int, for writing dimension-scale attributes in one go.
static inline hid_t ttcg_H5T_STD_REF_OBJ(void) { return H5T_STD_REF_OBJ; }
static inline hid_t ttcg_H5T_NATIVE_INT(void) { return H5T_NATIVE_INT; }
static inline herr_t ttcg_object_reference(hobj_ref_t *ref, hid_t loc, const char *name) {
    return H5Rcreate(ref, loc, name, H5R_OBJECT, -1);
}

// An anonymous in-memory file (Linux memfd_create), or -1. ResultStore points a file's
// descriptor at one to close a file whose disk is full without a failing H5Fclose
// (which leaves libhdf5 1.10 in a state that crashes later).
static inline int ttcg_memfd_create(void) {
#if defined(__linux__) && defined(SYS_memfd_create)
    return (int)syscall(SYS_memfd_create, "ttcg-hdf5-abandoned", 0);
#else
    return -1;
#endif
}

#endif
