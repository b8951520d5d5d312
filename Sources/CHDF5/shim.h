// HDF5 for Swift. H5P_DEFAULT, the H5F_ACC_* flags and the predefined type ids
// (H5T_NATIVE_DOUBLE and friends) are macros that expand to globals behind
// H5open(); Swift cannot import them, so they are static inline functions here.
#ifndef TTCG_CHDF5_SHIM_H
#define TTCG_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>

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

#endif
