/* src/decode.c - JPEG through libjpeg-turbo, everything else through libvips.
 *
 * JPEG: libjpeg's own API (not TurboJPEG) because we need DCT scaling to any
 * of 1/8..1/1, luma-only output, the EXIF APP1 marker and per-warning codes.
 * A libjpeg warning is not ignored: premature end of data makes the row
 * "truncated", damaged entropy data makes it "corrupt" (the decoder would
 * otherwise hand back grey or garbage blocks that hash like a real picture).
 * "Extraneous bytes before marker" is only a warning between header
 * segments (some cameras write stray bytes there); inside the scan it is the
 * one symptom random damage without 0xFF bytes leaves, so it means corrupt.
 *
 * Other formats: libvips, header first (pixel cap before any pixel is
 * decoded), then alpha dropped (the PDQ reference hashes colour channels
 * only), converted to 8-bit sRGB or grey, box-shrunk by an integer factor.
 *
 * SPDX-License-Identifier: MIT
 */
#include "decode.h"

#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include <jpeglib.h>
#include <jerror.h>
#include <vips/vips.h>

#include "sniff.h"
#include "status.h"

struct dp_decoder {
	struct dp_image tmp;   /* orientation destination */
	uint8_t *row;          /* one CMYK scanline */
	size_t rowcap;
};

struct dp_decoder *dp_decoder_new(void)
{
	return calloc(1, sizeof(struct dp_decoder));
}

void dp_decoder_free(struct dp_decoder *d)
{
	if (!d)
		return;
	dp_image_release(&d->tmp);
	free(d->row);
	free(d);
}

static const char *const blocked_loaders[] = {
	"VipsForeignLoadPdf", "VipsForeignLoadSvg", "VipsForeignLoadOpenslide",
	"VipsForeignLoadMat", "VipsForeignLoadFits", "VipsForeignLoadAnalyze",
	"VipsForeignLoadRaw", "VipsForeignLoadVips", "VipsForeignLoadCsv",
	"VipsForeignLoadMatrix", "VipsForeignLoadRad", "VipsForeignLoadOpenexr",
};

/* Whether doppel hands this content to the libvips loader `loader`.
 * Excluded loaders are refused by name even if blocking them failed (a
 * loader from a dynamic module, say). ImageMagick reads hundreds of formats;
 * it only gets the few raster formats libvips has no loader of its own for,
 * and only when the magic bytes say that is what the file is. */
static int loader_allowed(const char *loader, int format)
{
	for (size_t i = 0; i < sizeof(blocked_loaders) / sizeof(blocked_loaders[0]); i++)
		if (!strncmp(loader, blocked_loaders[i], strlen(blocked_loaders[i])))
			return 0;
	if (strstr(loader, "Magick"))
		return format == DP_FMT_BMP || format == DP_FMT_ICO || format == DP_FMT_PSD;
	return 1;
}

/* Formats libvips 8.14 decodes with a loader of its own (not ImageMagick). */
static int has_native_loader(int format)
{
	switch (format) {
	case DP_FMT_JPEG: case DP_FMT_PNG: case DP_FMT_GIF: case DP_FMT_WEBP:
	case DP_FMT_TIFF: case DP_FMT_PNM: case DP_FMT_JP2: case DP_FMT_J2K:
		return 1;
	case DP_FMT_HEIF: case DP_FMT_AVIF:
		return vips_type_find("VipsOperation", "heifload_source") != 0;
	case DP_FMT_JXL:
		return vips_type_find("VipsOperation", "jxlload_source") != 0;
	}
	return 0;
}

static void drop_vips_warning(const gchar *domain, GLogLevelFlags level, const gchar *msg,
			      gpointer data)
{
	(void)domain; (void)level; (void)msg; (void)data;
}

#define DP_VIPS_NAME "doppel"  /* argv0 for libvips: VIPS_INIT and dp_decode_prepare */

static once_flag vips_once = ONCE_FLAG_INIT;
static mtx_t thumb_lock;        /* dp_decode_thumbnail; initialised in vips_start */
static atomic_int vips_started;

/* Start libvips the first time a file needs it: a scan of JPEGs only never
 * pays its start-up (about 60 ms of module loading), which is a visible
 * share of short runs. call_once makes the first use from any worker safe;
 * dp_decode_prepare, before the workers start, keeps it from writing the
 * environment they read. */
static void vips_start(void)
{
	if (mtx_init(&thumb_lock, mtx_plain) != thrd_success || VIPS_INIT(DP_VIPS_NAME))
		return;
	/* One vips worker per call: the pipeline already runs one image per
	 * thread, and a shared operation cache would only cost memory. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	/* Loaders for scientific, document and vector formats parse hostile
	 * input with much less care than the photo loaders and are not what
	 * this tool is for: block them. ImageMagick stays available but is
	 * only ever handed content our own sniffer recognised (see
	 * loader_allowed()). */
	for (size_t i = 0; i < sizeof(blocked_loaders) / sizeof(blocked_loaders[0]); i++)
		vips_operation_block_set(blocked_loaders[i], TRUE);
	/* Loader warnings ("ignoring nclx profile"...) would interleave with
	 * the progress line; real failures come back as errors. */
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_vips_warning, NULL);
	atomic_store(&vips_started, 1);
}

void dp_decode_prepare(void)
{
	/* The call VIPS_INIT makes, with the same name: it sets VIPSHOME only
	 * when it is unset, so the start that follows on a worker thread only
	 * reads it. Cheap: no module is loaded. */
	vips_guess_prefix(DP_VIPS_NAME, "VIPSHOME");
}

static int vips_ready(void)
{
	call_once(&vips_once, vips_start);
	return atomic_load(&vips_started);
}

void dp_decode_shutdown(void)
{
	if (atomic_load(&vips_started))
		vips_shutdown();
}

void dp_decode_thread_done(void)
{
	if (atomic_load(&vips_started))
		vips_thread_shutdown();
}

void dp_decode_library_versions(char *out, size_t n)
{
	int v = LIBJPEG_TURBO_VERSION_NUMBER;

	snprintf(out, n, "libvips %s, libjpeg-turbo %d.%d.%d (libjpeg API %d)",
		 vips_version_string(), v / 1000000, v / 1000 % 1000, v % 1000, JPEG_LIB_VERSION);
}

int dp_decode_scale_denom(int w, int h, int min_side)
{
	int m = w < h ? w : h;

	for (int d = 8; d > 1; d /= 2)
		if ((m + d - 1) / d >= min_side)
			return d;
	return 1;
}

/* ---- JPEG through libjpeg ------------------------------------------------ */

#define DP_JPEG_ROWS 16   /* scanlines requested per jpeg_read_scanlines() call */

struct jpeg_guard {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	int truncated;          /* saw JWRN_JPEG_EOF */
	int corrupt;            /* saw a warning about damaged data */
	int in_scan;            /* headers read: now decoding entropy-coded data */
	struct jpeg_progress_mgr progress;
	double deadline;        /* monotonic seconds; 0 = none */
	int timed_out;
	char first[JMSG_LENGTH_MAX];   /* first serious warning or the error */
	char mild[JMSG_LENGTH_MAX];    /* first harmless-looking warning */
};

static void jpeg_on_error(j_common_ptr cinfo)
{
	struct jpeg_guard *g = (struct jpeg_guard *)cinfo->err;

	if (!g->first[0])
		cinfo->err->format_message(cinfo, g->first);
	longjmp(g->jump, 1);
}

/* A monotonic clock in seconds, and the deadline for a decode starting now. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double deadline_for(const struct dp_decode_opts *o)
{
	return o->time_limit_s > 0 ? now_s() + o->time_limit_s : 0;
}

static int timeout_error(struct dp_decode_info *info, const struct dp_decode_opts *o,
			 const char *format, struct dp_err *err)
{
	info->status = DP_ST_TIMEOUT;
	return dp_err_set(err, DP_E_LIMIT, "decode: %s image not decoded within the time limit "
			  "of %g s (--time-limit)", format, o->time_limit_s);
}

/* libjpeg calls this between row groups and input passes. */
static void jpeg_on_progress(j_common_ptr cinfo)
{
	struct jpeg_guard *g = (struct jpeg_guard *)cinfo->err;

	if (g->deadline > 0 && now_s() > g->deadline) {
		g->timed_out = 1;
		longjmp(g->jump, 1);
	}
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	struct jpeg_guard *g = (struct jpeg_guard *)cinfo->err;
	int code = cinfo->err->msg_code;
	char *slot;

	if (level >= 0)
		return;         /* trace messages */
	switch (code) {
	case JWRN_JPEG_EOF:
		g->truncated = 1;
		slot = g->first;
		break;
	case JWRN_HIT_MARKER:
	case JWRN_HUFF_BAD_CODE:
	case JWRN_ARITH_BAD_CODE:
	case JWRN_MUST_RESYNC:
	case JWRN_NOT_SEQUENTIAL:
	case JWRN_BOGUS_PROGRESSION:
	case JWRN_TOO_MUCH_DATA:
		g->corrupt = 1;
		slot = g->first;
		break;
	case JWRN_EXTRANEOUS_DATA:
		/* Between header segments some cameras leave stray bytes; inside
		 * or after the scan it means the entropy-coded data did not decode
		 * to the size the header promised: damaged data. */
		g->corrupt |= g->in_scan;
		slot = g->in_scan ? g->first : g->mild;
		break;
	default:
		slot = g->mild;
		break;
	}
	if (!slot[0])
		cinfo->err->format_message(cinfo, slot);
}

static void jpeg_read_exif(struct jpeg_decompress_struct *ci, struct dp_decode_info *info)
{
	for (jpeg_saved_marker_ptr m = ci->marker_list; m; m = m->next) {
		if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
		    !memcmp(m->data, "Exif\0\0", 6)) {
			if (dp_exif_parse(m->data, m->data_length, &info->exif) == 0)
				info->orientation = info->exif.orientation;
			return;
		}
	}
}

/* Adobe CMYK JPEGs store inverted values; plain CMYK ones do not. */
static void cmyk_row_to_rgb(const uint8_t *src, uint8_t *dst, int w, int inverted)
{
	for (int x = 0; x < w; x++) {
		unsigned c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2], k = src[4 * x + 3];

		if (!inverted) {
			c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
		}
		dst[3 * x] = (uint8_t)((c * k + 127) / 255);
		dst[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
		dst[3 * x + 2] = (uint8_t)((y * k + 127) / 255);
	}
}

static int choose_jpeg_output(struct jpeg_decompress_struct *ci, const struct dp_decode_opts *o)
{
	switch (ci->jpeg_color_space) {
	case JCS_GRAYSCALE:
		ci->out_color_space = JCS_GRAYSCALE;
		return 1;
	case JCS_CMYK:
	case JCS_YCCK:
		ci->out_color_space = JCS_CMYK;
		return 4;
	case JCS_YCbCr:
		if (!o->exact) {
			/* Y is luma: no chroma IDCT, upsampling or colour conversion. */
			ci->out_color_space = JCS_GRAYSCALE;
			return 1;
		}
		ci->out_color_space = JCS_RGB;
		return 3;
	default:
		ci->out_color_space = JCS_RGB;
		return 3;
	}
}

static int decode_jpeg(struct dp_decoder *d, const uint8_t *buf, size_t len,
		       const struct dp_decode_opts *o, struct dp_image *out,
		       struct dp_decode_info *info, struct dp_err *err)
{
	struct jpeg_decompress_struct ci;
	struct jpeg_guard g;
	int comps, rc;

	memset(&g, 0, sizeof(g));
	ci.err = jpeg_std_error(&g.pub);
	g.pub.error_exit = jpeg_on_error;
	g.pub.emit_message = jpeg_on_message;
	jpeg_create_decompress(&ci);
	g.deadline = deadline_for(o);
	g.progress.progress_monitor = jpeg_on_progress;
	ci.progress = &g.progress;
	if (setjmp(g.jump)) {
		if (g.timed_out) {
			rc = timeout_error(info, o, "JPEG", err);
			goto out;
		}
		info->status = g.truncated ? DP_ST_TRUNCATED : DP_ST_CORRUPT;
		rc = dp_err_set(err, DP_E_DECODE, "decode: %s JPEG (libjpeg: %s)",
				info->status == DP_ST_TRUNCATED ? "truncated" : "corrupt",
				g.first);
		goto out;
	}
	jpeg_mem_src(&ci, buf, (unsigned long)len);
	jpeg_save_markers(&ci, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(&ci, TRUE);
	info->width = (int)ci.image_width;
	info->height = (int)ci.image_height;
	jpeg_read_exif(&ci, info);
	if ((uint64_t)ci.image_width * ci.image_height > o->max_pixels) {
		info->status = DP_ST_TOO_LARGE;
		rc = dp_err_set(err, DP_E_LIMIT,
				"decode: %ux%u JPEG exceeds the pixel limit of %llu (--max-pixels)",
				ci.image_width, ci.image_height,
				(unsigned long long)o->max_pixels);
		goto out;
	}
	g.in_scan = 1;
	comps = choose_jpeg_output(&ci, o);
	ci.scale_num = 1;
	ci.scale_denom = o->exact ? 1 : (unsigned)dp_decode_scale_denom(
		info->width, info->height, o->min_side);
	jpeg_start_decompress(&ci);
	if ((rc = dp_image_reserve(out, (int)ci.output_width, (int)ci.output_height,
				   comps == 4 ? 3 : comps)) != 0) {
		info->status = DP_ST_TOO_LARGE;
		rc = dp_err_set(err, DP_E_NOMEM, "decode: out of memory for %ux%u pixels",
				ci.output_width, ci.output_height);
		goto out;
	}
	/* DCT scaling by 1/d: each output pixel is the IDCT's approximation of
	 * the mean of a d x d block; PDQ then filters as at full size. */
	out->ax = (struct dp_pdq_axis){ info->width, (double)ci.scale_denom, 0.0 };
	out->ay = (struct dp_pdq_axis){ info->height, (double)ci.scale_denom, 0.0 };
	if (comps == 4 && d->rowcap < (size_t)ci.output_width * 4) {
		free(d->row);
		d->rowcap = (size_t)ci.output_width * 4;
		d->row = malloc(d->rowcap);
		if (!d->row) {
			d->rowcap = 0;
			info->status = DP_ST_TOO_LARGE;
			rc = dp_err_set(err, DP_E_NOMEM, "decode: out of memory");
			goto out;
		}
	}
	while (ci.output_scanline < ci.output_height) {
		size_t stride = (size_t)out->w * out->channels;
		JSAMPROW rows[DP_JPEG_ROWS];
		JDIMENSION want = 1, got;

		if (comps == 4) {
			rows[0] = d->row;
		} else {
			/* Several rows per call, as TurboJPEG does: fewer round trips
			 * through the scaled IDCT's row-group buffering. */
			want = ci.output_height - ci.output_scanline;
			if (want > DP_JPEG_ROWS)
				want = DP_JPEG_ROWS;
			for (JDIMENSION r = 0; r < want; r++)
				rows[r] = out->pix + (size_t)(ci.output_scanline + r) * stride;
		}
		got = jpeg_read_scanlines(&ci, rows, want);
		if (got == 0)
			break;
		if (comps == 4)
			cmyk_row_to_rgb(d->row, out->pix + (size_t)(ci.output_scanline - 1) * stride,
					out->w, ci.saw_Adobe_marker);
	}
	jpeg_finish_decompress(&ci);
	if (g.truncated || g.corrupt) {
		info->status = g.truncated ? DP_ST_TRUNCATED : DP_ST_CORRUPT;
		rc = dp_err_set(err, DP_E_DECODE, "decode: %s JPEG (libjpeg: %s)",
				g.truncated ? "truncated" : "corrupt", g.first);
		goto out;
	}
	if (g.mild[0])
		snprintf(info->warning, sizeof(info->warning), "libjpeg: %s", g.mild);
	rc = 0;
out:
	jpeg_destroy_decompress(&ci);
	return rc;
}

/* ---- everything else through libvips ---------------------------------------- */

/* Take (and clear) libvips' global error text as a hint about the cause. */
static void vips_cause(char *out, size_t n)
{
	char *text = vips_error_buffer_copy();
	size_t l;

	snprintf(out, n, "%s", text && *text ? text : "unknown libvips error");
	g_free(text);
	l = strlen(out);
	while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == ' '))
		out[--l] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

static int vips_fail_status(const char *cause)
{
	static const char *const trunc[] = { "truncated", "premature", "end of file",
					     "unexpected end", "Read Error", "not enough" };

	for (size_t i = 0; i < sizeof(trunc) / sizeof(trunc[0]); i++)
		if (strstr(cause, trunc[i]))
			return DP_ST_TRUNCATED;
	return DP_ST_CORRUPT;
}

/* Replace *im by the result of the operation that produced next. */
static void vips_replace(VipsImage **im, VipsImage *next)
{
	g_object_unref(*im);
	*im = next;
}

/* Alpha off, then 8-bit sRGB (3 bands) or grey (1 band). */
static int vips_to_8bit(VipsImage **im)
{
	VipsImage *x = NULL;
	VipsInterpretation want;
	int bands = (*im)->Bands;

	if (bands == 2 || (bands == 4 && (*im)->Type != VIPS_INTERPRETATION_CMYK) || bands > 4) {
		int keep = bands == 2 ? 1 : 3;

		if (vips_extract_band(*im, &x, 0, "n", keep, NULL))
			return -1;
		vips_replace(im, x);
	}
	want = (*im)->Bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
	if (vips_image_guess_interpretation(*im) != want &&
	    vips_colourspace_issupported(*im)) {
		if (vips_colourspace(*im, &x, want, NULL))
			return -1;
		vips_replace(im, x);
	}
	if ((*im)->BandFmt == VIPS_FORMAT_USHORT) {
		if (vips_rshift_const1(*im, &x, 8, NULL))
			return -1;
		vips_replace(im, x);
	}
	if ((*im)->BandFmt != VIPS_FORMAT_UCHAR) {
		if (vips_cast(*im, &x, VIPS_FORMAT_UCHAR, NULL))
			return -1;
		vips_replace(im, x);
	}
	if ((*im)->Bands > 3 || (*im)->Bands == 2) {
		int keep = (*im)->Bands == 2 ? 1 : 3;

		if (vips_extract_band(*im, &x, 0, "n", keep, NULL))
			return -1;
		vips_replace(im, x);
	}
	return 0;
}

static void vips_read_meta(VipsImage *im, struct dp_decode_info *info)
{
	const void *blob;
	size_t blen;
	int orient;

	if (vips_image_get_typeof(im, VIPS_META_EXIF_NAME) &&
	    !vips_image_get_blob(im, VIPS_META_EXIF_NAME, &blob, &blen) &&
	    dp_exif_parse(blob, blen, &info->exif) == 0)
		info->orientation = info->exif.orientation;
	if (!info->orientation && vips_image_get_typeof(im, VIPS_META_ORIENTATION) &&
	    !vips_image_get_int(im, VIPS_META_ORIENTATION, &orient) &&
	    orient >= 1 && orient <= 8)
		info->orientation = orient;
}

/* Emitted while libvips computes the image: stop it past the deadline. */
static void vips_on_eval(VipsImage *im, VipsProgress *progress, void *deadline)
{
	(void)progress;
	if (now_s() > *(const double *)deadline)
		vips_image_set_kill(im, TRUE);
}

static int decode_vips(const uint8_t *buf, size_t len, const struct dp_decode_opts *o,
		       struct dp_image *out, struct dp_decode_info *info, struct dp_err *err)
{
	char cause[DP_ERR_MSG_MAX / 2];
	VipsSource *src;
	const char *loader;
	int use_buffer = 0, k, src_w, src_h;
	VipsImage *im, *x = NULL;
	void *mem = NULL;
	size_t memlen = 0;
	double deadline = 0;
	int rc;

	if (!vips_ready()) {
		info->status = DP_ST_UNSUPPORTED;
		return dp_err_set(err, DP_E_DECODE, "decode: libvips could not start");
	}
	src = vips_source_new_from_memory(buf, len);
	if (!src) {
		vips_cause(cause, sizeof(cause));
		info->status = DP_ST_TOO_LARGE;
		return dp_err_set(err, DP_E_NOMEM, "decode: %s", cause);
	}
	/* Prefer the source loaders (PNM has no buffer loader), else buffer
	 * loaders (ImageMagick has no source loader in this libvips). */
	loader = vips_foreign_find_load_source(src);
	if (!loader) {
		use_buffer = 1;
		loader = vips_foreign_find_load_buffer(buf, len);
	}
	vips_error_clear();
	if (!loader || !loader_allowed(loader, info->format)) {
		g_object_unref(src);
		if (has_native_loader(info->format)) {
			/* The magic bytes say PNG, TIFF...: no loader accepting it
			 * means the header is damaged, not that we lack a decoder. */
			info->status = DP_ST_CORRUPT;
			return dp_err_set(err, DP_E_DECODE,
					  "decode: corrupt %s: no decoder accepts its header",
					  dp_format_name(info->format));
		}
		info->status = dp_format_is_image(info->format) ? DP_ST_UNSUPPORTED
								: DP_ST_NOT_IMAGE;
		if (loader)
			return dp_err_set(err, DP_E_FORMAT,
					  "decode: %s content is not decoded (libvips loader %s "
					  "is excluded for safety)", info->format ?
					  dp_format_name(info->format) : "unrecognised", loader);
		if (info->status == DP_ST_UNSUPPORTED)
			return dp_err_set(err, DP_E_FORMAT,
					  "decode: no decoder for %s images in this libvips build",
					  dp_format_name(info->format));
		dp_sniff_describe(buf, len, cause, sizeof(cause));
		return dp_err_set(err, DP_E_FORMAT, "decode: not an image (content: %s)", cause);
	}
	if (use_buffer)
		im = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
						"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	else
		im = vips_image_new_from_source(src, "", "access", VIPS_ACCESS_SEQUENTIAL,
						"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	g_object_unref(src);
	if (!im) {
		vips_cause(cause, sizeof(cause));
		info->status = vips_fail_status(cause);
		return dp_err_set(err, DP_E_DECODE, "decode: %s header: %s",
				  dp_format_name(info->format), cause);
	}
	info->width = im->Xsize;
	info->height = im->Ysize;
	vips_read_meta(im, info);
	if ((uint64_t)im->Xsize * (uint64_t)im->Ysize > o->max_pixels) {
		info->status = DP_ST_TOO_LARGE;
		rc = dp_err_set(err, DP_E_LIMIT,
				"decode: %dx%d %s image exceeds the pixel limit of %llu (--max-pixels)",
				im->Xsize, im->Ysize, dp_format_name(info->format),
				(unsigned long long)o->max_pixels);
		goto out;
	}
	/* Fast mode: shrink by an integer box factor to >= min_side pixels.
	 * WebP decodes straight to the smaller size (shrink-on-load); other
	 * loaders stream full-size rows through vips_shrink. */
	k = o->exact ? 1 : (im->Xsize < im->Ysize ? im->Xsize : im->Ysize) / o->min_side;
	src_w = im->Xsize;
	src_h = im->Ysize;
	if (k > 1 && strstr(loader, "Webp")) {
		VipsSource *again = vips_source_new_from_memory(buf, len);

		x = again ? vips_image_new_from_source(again, "", "access", VIPS_ACCESS_SEQUENTIAL,
						       "fail_on", VIPS_FAIL_ON_TRUNCATED,
						       "scale", 1.0 / k, NULL) : NULL;
		if (again)
			g_object_unref(again);
		if (!x)
			goto out_vips_error;
		vips_replace(&im, x);
		k = 1;
	}
	if (vips_to_8bit(&im))
		goto out_vips_error;
	if (k > 1) {
		if (vips_shrink(im, &x, (double)k, (double)k, NULL))
			goto out_vips_error;
		vips_replace(&im, x);
	}
	if (o->time_limit_s > 0) {
		vips_image_set_progress(im, TRUE);
		g_signal_connect(im, "eval", G_CALLBACK(vips_on_eval), &deadline);
		deadline = deadline_for(o);
	}
	mem = vips_image_write_to_memory(im, &memlen);
	if (!mem && deadline > 0 && now_s() > deadline) {
		vips_error_clear();
		rc = timeout_error(info, o, dp_format_name(info->format), err);
		goto out;
	}
	if (!mem)
		goto out_vips_error;
	rc = dp_image_reserve(out, im->Xsize, im->Ysize, im->Bands);
	if (rc || memlen < (size_t)im->Xsize * im->Ysize * im->Bands) {
		info->status = DP_ST_TOO_LARGE;
		rc = dp_err_set(err, DP_E_NOMEM, "decode: out of memory for %dx%d pixels",
				im->Xsize, im->Ysize);
		goto out;
	}
	memcpy(out->pix, mem, (size_t)im->Xsize * im->Ysize * im->Bands);
	if (src_w != im->Xsize || src_h != im->Ysize) {
		/* A box shrink by k (pixel = mean of a k x k block; the size is
		 * rounded) or libwebp's area-averaging scaler (src / n). */
		out->ax = (struct dp_pdq_axis){ src_w, k > 1 ? k : (double)src_w / im->Xsize, 0.0 };
		out->ay = (struct dp_pdq_axis){ src_h, k > 1 ? k : (double)src_h / im->Ysize, 0.0 };
	}
	rc = 0;
	goto out;
out_vips_error:
	vips_cause(cause, sizeof(cause));
	info->status = vips_fail_status(cause);
	rc = dp_err_set(err, DP_E_DECODE, "decode: %s %s: %s", info->status == DP_ST_TRUNCATED ?
			"truncated" : "corrupt", dp_format_name(info->format), cause);
out:
	g_free(mem);
	g_object_unref(im);
	return rc;
}

int dp_decode_thumbnail(const uint8_t *buf, size_t len, int max_side, const char *out_path,
			struct dp_err *err)
{
	char cause[DP_ERR_MSG_MAX / 2];
	VipsImage *t = NULL;
	int rc = 0;

	if (!vips_ready())
		return dp_err_set(err, DP_E_DECODE, "thumbnail: libvips could not start");
	/* One thumbnail at a time: libvips 8.14's thread set races when many
	 * short pipelines start and end at once from several threads (heap
	 * corruption seen in about 1 of 6 reports of 7,000 thumbnails on 2
	 * threads; fixed upstream in 8.15.5). Reading and hashing the files,
	 * the larger share of the work, stays parallel. */
	mtx_lock(&thumb_lock);
	if (vips_thumbnail_buffer((void *)buf, len, &t, max_side, "height", max_side,
				  "size", VIPS_SIZE_DOWN, NULL) ||
	    vips_jpegsave(t, out_path, "Q", 80, "strip", TRUE, NULL)) {
		vips_cause(cause, sizeof(cause));
		rc = dp_err_set(err, DP_E_DECODE, "thumbnail: %s", cause);
	}
	if (t)
		g_object_unref(t);
	mtx_unlock(&thumb_lock);
	return rc;
}

int dp_decode(struct dp_decoder *d, const uint8_t *buf, size_t len,
	      const struct dp_decode_opts *o, struct dp_image *out,
	      struct dp_decode_info *info, struct dp_err *err)
{
	int rc;

	memset(info, 0, sizeof(*info));
	info->format = dp_sniff(buf, len);
	if (len == 0) {
		info->status = DP_ST_EMPTY;
		return dp_err_set(err, DP_E_FORMAT, "decode: empty file (0 bytes)");
	}
	if (info->format == DP_FMT_JPEG)
		rc = decode_jpeg(d, buf, len, o, out, info, err);
	else
		rc = decode_vips(buf, len, o, out, info, err);
	if (rc)
		return rc;
	if (o->orient && info->orientation > 1 &&
	    dp_image_orient(out, info->orientation, &d->tmp) != 0) {
		info->status = DP_ST_TOO_LARGE;
		return dp_err_set(err, DP_E_NOMEM, "decode: out of memory while orienting");
	}
	if (o->reference && (out->w > DP_REFERENCE_SIDE || out->h > DP_REFERENCE_SIDE) &&
	    dp_image_resample_nearest(out, DP_REFERENCE_SIDE, DP_REFERENCE_SIDE, &d->tmp)) {
		info->status = DP_ST_TOO_LARGE;
		return dp_err_set(err, DP_E_NOMEM, "decode: out of memory while resampling");
	}
	info->status = DP_ST_OK;
	return 0;
}
