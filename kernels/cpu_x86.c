/* kernels/cpu_x86.c - x86 CPU feature detection: CPUID plus the OS's XCR0 register state.
 *
 * A CPU may list AVX2 or AVX-512 in CPUID while the operating system does
 * not save the YMM / ZMM registers on a context switch (old kernels,
 * hypervisors that mask XSAVE state); using them then corrupts other
 * threads' registers. So a vector feature counts only when CPUID lists it
 * AND XGETBV(0) shows the OS enabled its register state:
 *   AVX, AVX2:  XCR0 bits 1 (SSE) and 2 (AVX, upper YMM halves);
 *   AVX-512:    also bits 5 (opmask k0-k7), 6 (upper ZMM0-15 halves) and
 *               7 (ZMM16-31).
 * CPUID bits (Intel SDM vol. 2A, "CPUID"; AMD APM vol. 3 agrees):
 *   leaf 1 ECX: 19 SSE4.1, 23 POPCNT, 27 OSXSAVE, 28 AVX;
 *   leaf 7 subleaf 0 EBX: 5 AVX2, 16 AVX512F, 30 AVX512BW, 31 AVX512VL;
 *   leaf 7 subleaf 0 ECX: 14 AVX512_VPOPCNTDQ.
 *
 * This file only reports the hardware; dispatch.c calls it once, applies
 * DP_DISABLE_CPU_FEATURES and selects the variants. On other
 * architectures, and in builds with -DDP_NO_SIMD, dp_cpu_detect() reports
 * no x86 features (on AArch64 it reports NEON, which is architectural), so
 * a portable scalar build needs no other change.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__) && !defined(DP_NO_SIMD)

#include <cpuid.h>

#define DP_XCR0_SSE (1u << 1)
#define DP_XCR0_AVX (1u << 2)
#define DP_XCR0_OPMASK (1u << 5)
#define DP_XCR0_ZMM_HI256 (1u << 6)
#define DP_XCR0_HI16_ZMM (1u << 7)
#define DP_XCR0_YMM_STATE (DP_XCR0_SSE | DP_XCR0_AVX)
#define DP_XCR0_ZMM_STATE (DP_XCR0_YMM_STATE | DP_XCR0_OPMASK | DP_XCR0_ZMM_HI256 | \
			   DP_XCR0_HI16_ZMM)

/* Low half of XCR0. The raw opcode: old assemblers lack the mnemonic, and
 * the _xgetbv() intrinsic would need -mxsave on this object. */
static unsigned read_xcr0(void)
{
	unsigned eax, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
	(void)edx;
	return eax;
}

static int has_bit(unsigned reg, int bit)
{
	return (reg >> bit) & 1u;
}

unsigned dp_cpu_detect(void)
{
	unsigned eax, ebx, ecx, edx, xcr0 = 0, f = 0;
	unsigned max_leaf = __get_cpuid_max(0, NULL);

	if (max_leaf < 1)
		return 0;
	__cpuid_count(1, 0, eax, ebx, ecx, edx);
	if (has_bit(ecx, 19))
		f |= DP_CPU_SSE41;
	if (has_bit(ecx, 23))
		f |= DP_CPU_POPCNT;
	if (has_bit(ecx, 27))   /* OSXSAVE: XGETBV is usable */
		xcr0 = read_xcr0();
	if (max_leaf < 7 || !has_bit(ecx, 28) || (xcr0 & DP_XCR0_YMM_STATE) != DP_XCR0_YMM_STATE)
		return f;       /* no AVX, or the OS does not save YMM registers */

	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	if (has_bit(ebx, 5))
		f |= DP_CPU_AVX2;
	if ((xcr0 & DP_XCR0_ZMM_STATE) == DP_XCR0_ZMM_STATE && has_bit(ebx, 16) &&
	    has_bit(ebx, 30) && has_bit(ebx, 31)) {
		f |= DP_CPU_AVX512;
		if (has_bit(ecx, 14))
			f |= DP_CPU_AVX512VPOPCNTDQ;
	}
	return f;
}

#else

unsigned dp_cpu_detect(void)
{
#if defined(__aarch64__) && !defined(DP_NO_SIMD)
	return DP_CPU_NEON;   /* Advanced SIMD is mandatory in AArch64 */
#else
	return 0;
#endif
}

#endif
