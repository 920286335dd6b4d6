// The C libraries behind QR codes, posters and uploaded images, all from Debian:
// libqrencode (QR matrices), cairo with pango (drawing, CJK text shaping and line breaking),
// libturbojpeg and libwebp (decoding uploads, encoding renditions). PNG goes through cairo.
#include <qrencode.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <turbojpeg.h>
#include <webp/decode.h>
#include <webp/encode.h>
