// Origin at a plain HTTP(S) base URL, such as a public S3 bucket's.
#include <memory>
#include <string>

#include "origins/curl_transfer.hpp"
#include "origins/origin_factories.hpp"
#include "store/name.hpp"

namespace cache_tier::origins::detail {

namespace {

class HttpOrigin final : public Origin {
public:
    HttpOrigin(OriginOptions opts, std::string base) : opts_(std::move(opts)), base_(std::move(base)) {}

    FetchResult fetch(const FetchRequest& req, int out_fd) override {
        TransferRequest transfer;
        transfer.url = public_url(req.key);
        transfer.forbidden_means_missing = true;
        // A public bucket's base (the usual http(s) origin) answers errors as S3 does.
        transfer.error_code_of = &s3_error_code;
        return run_transfer(opts_, transfer, req, out_fd);
    }

    std::string public_url(std::string_view key) const override {
        return base_ + "/" + store::encode_path(key);
    }

    std::string describe() const override { return base_; }

private:
    OriginOptions opts_;
    std::string base_;  // no trailing '/'
};

}  // namespace

std::unique_ptr<Origin> make_http_origin(const OriginOptions& opts, const UrlParts& url) {
    if (url.authority.empty()) throw_bad_url(opts.url, "missing host");
    // The base URL is where browsers are redirected: credentials in it would be handed out.
    if (url.authority.find('@') != std::string::npos)
        throw_bad_url(opts.url,
                      "has credentials (user@host); browsers redirected to it would get them: use a public base "
                      "URL, or an s3:// origin for a private bucket");
    std::string base = url.scheme + "://" + url.authority + url.path;
    while (base.ends_with('/')) base.pop_back();
    return std::make_unique<HttpOrigin>(opts, std::move(base));
}

}  // namespace cache_tier::origins::detail
