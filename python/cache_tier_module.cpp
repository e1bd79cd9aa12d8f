// The Python module `cache_tier`, with the original client's API:
//
//     import cache_tier
//     cache = cache_tier.CacheTierClient("http://downloads.example.com/", local_cache_time=20)
//     if cache.verify_file("some_big_file.mp3"):
//         url = cache.build_download_url("some_big_file.mp3")
//
// A thin layer over cache_tier::Client; times are float seconds as in the original.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cache_tier/client.hpp"

namespace py = pybind11;

namespace {

using cache_tier::CacheError;
using cache_tier::Client;
using cache_tier::ClientOptions;

// Seconds as a float -> milliseconds; refuses NaN, negative and absurd values
// instead of letting the conversion overflow.
std::chrono::milliseconds seconds_option(const char* name, double seconds) {
    constexpr double ten_years = 10.0 * 365 * 24 * 3600;
    if (!std::isfinite(seconds) || seconds < 0 || seconds > ten_years)
        throw CacheError(std::string(name) + " must be a number of seconds between 0 and 10 years");
    return std::chrono::milliseconds(static_cast<long long>(std::llround(seconds * 1000)));
}

// The signing keywords, which the original client did not have.
struct SigningArgs {
    std::optional<std::string> secret;  // str or bytes; None: links are not signed
    double ttl;
    std::string static_prefix;
};

ClientOptions make_options(double request_timeout, bool enable_local_cache, double local_cache_time,
                           bool log_enabled, double down_node_time, const SigningArgs& signing,
                           const std::optional<std::filesystem::path>& ca_file) {
    ClientOptions options;
    if (ca_file) {
        if (ca_file->empty()) throw CacheError("ca_file is empty (None: the system's trust store only)");
        options.ca_file = ca_file->string();
    }
    if (signing.secret) {
        // An empty string given on purpose is a mistake (an unset variable), not "do not sign".
        if (signing.secret->empty()) throw CacheError("url_signing_secret is empty (None: links are not signed)");
        options.url_signing_secret = *signing.secret;
        const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(seconds_option("url_signing_ttl", signing.ttl));
        if (ttl.count() < 1) throw CacheError("url_signing_ttl must be at least 1 second");
        options.url_signing_ttl = ttl;
        options.static_prefix = signing.static_prefix;
    }
    options.request_timeout = seconds_option("request_timeout", request_timeout);
    options.enable_local_cache = enable_local_cache;
    options.local_cache_time = seconds_option("local_cache_time", local_cache_time);
    options.log_enabled = log_enabled;
    options.down_node_time = seconds_option("down_node_time", down_node_time);
    return options;
}

double to_seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

template <typename BaseUrls>
Client make_client(BaseUrls base_urls, double request_timeout, bool enable_local_cache, double local_cache_time,
                   bool log_enabled, double down_node_time, std::optional<std::string> url_signing_secret,
                   double url_signing_ttl, std::string static_prefix, std::optional<std::filesystem::path> ca_file) {
    const SigningArgs signing{std::move(url_signing_secret), url_signing_ttl, std::move(static_prefix)};
    return Client(std::move(base_urls), make_options(request_timeout, enable_local_cache, local_cache_time,
                                                     log_enabled, down_node_time, signing, ca_file));
}

// The constructor's keywords, the same for one server and for a cluster.
template <typename BaseUrls>
void add_constructor(py::class_<Client>& cls, const char* doc) {
    const ClientOptions defaults;
    cls.def(py::init(&make_client<BaseUrls>), py::arg("base_url"), py::arg("request_timeout") = 1.0,
            py::arg("enable_local_cache") = true, py::arg("local_cache_time") = 120.0,
            py::arg("log_enabled") = false, py::arg("down_node_time") = 30.0,
            py::arg("url_signing_secret") = py::none(),
            py::arg("url_signing_ttl") = static_cast<double>(defaults.url_signing_ttl.count()),
            py::arg("static_prefix") = defaults.static_prefix, py::arg("ca_file") = py::none(), doc);
}

}  // namespace

PYBIND11_MODULE(cache_tier, m) {
    m.doc() = "Client for a cache-tier server: is a file cached, and where to download it.";
    m.attr("__version__") = CACHE_TIER_VERSION;

    // Raised for a blank file name or a malformed base URL, never for a server problem.
    py::register_exception<CacheError>(m, "CacheException", PyExc_Exception);

    py::class_<Client> cls(m, "CacheTierClient",
                           "Asks cache-tier servers whether a file is cached; answers are remembered for\n"
                           "local_cache_time seconds by every client of the process. With url_signing_secret\n"
                           "(the server's url_signing_secret_file's content, str or bytes), build_download_url\n"
                           "gives signed links valid for url_signing_ttl seconds (docs/signed-links.md).\n"
                           "https:// servers' certificates are verified, against the system's trust store and\n"
                           "ca_file (a PEM file of CA certificates, str or path) when given.");
    add_constructor<std::string>(cls, "base_url: the server, e.g. 'http://downloads.example.com/'");
    add_constructor<std::vector<std::string>>(
        cls, "base_url: a list of servers; each file is asked of one of them (rendezvous hashing)");
    cls
        // The network calls let other Python threads run meanwhile.
        .def("verify_file", &Client::verify_file, py::arg("file_name"), py::call_guard<py::gil_scoped_release>(),
             "True only when the server says the file is cached; False when it is not, or the server\n"
             "is down, slow or answers garbage. Uses the remembered answer while it is fresh.")
        .def("refresh_status_from_server", &Client::refresh_status_from_server, py::arg("file_name"),
             py::call_guard<py::gil_scoped_release>(), "Ask the server now and remember the answer.")
        .def("is_stale", &Client::is_stale, py::arg("file_name"),
             "True when verify_file would ask the server.")
        .def("build_download_url", &Client::build_download_url, py::arg("file_name"),
             "The URL to send a browser to: <base>/download/<file_name>, or with url_signing_secret\n"
             "a signed link to the file: <base><static_prefix><file_name>?expires=...&signature=...")
        .def_property_readonly("base_url", [](const Client& c) { return c.base_urls().front() + "/"; })
        .def_property_readonly("base_urls", [](const Client& c) { return c.base_urls(); })
        .def_property_readonly("request_timeout",
                               [](const Client& c) { return to_seconds(c.options().request_timeout); })
        .def_property_readonly("enable_local_cache", [](const Client& c) { return c.options().enable_local_cache; })
        .def_property_readonly("local_cache_time",
                               [](const Client& c) { return to_seconds(c.options().local_cache_time); })
        .def_property_readonly("log_enabled", [](const Client& c) { return c.options().log_enabled; })
        .def_property_readonly("ca_file",
                               [](const Client& c) -> std::optional<std::string> {
                                   if (c.options().ca_file.empty()) return std::nullopt;
                                   return c.options().ca_file;
                               })
        .def("__repr__", [](const Client& c) {
            std::string urls;
            for (const auto& url : c.base_urls()) urls += (urls.empty() ? "'" : ", '") + url + "/'";
            return "CacheTierClient(" + urls + ")";
        });
}
