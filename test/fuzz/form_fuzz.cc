// Fuzz target: the multipart form builder (Transfer::prepare -> buildForm on curl_mime) and
// the file part's read callback, with fuzzed field names, values, file name, content type
// and file bytes. The request is really performed over an abstract Unix socket (no network,
// no port): once curl is connected the target accepts and queues a canned 204 answer; after
// the transfer it reads the request curl wrote and parses it.
// Input lines: 1 = file field name, 2 = file name, 3 = file content type, 4 = the file's
// bytes; then one field per line as name=value, a leading '>' = a field after the file.
// Invariants: curl sends one POST whose multipart body has every field in order, the file
// part where it belongs, every value and the file's bytes unchanged, and a Content-Length
// equal to the body; the job counts exactly the file's bytes as sent.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <vector>

#include "fuzz_util.h"
#include "job.h"
#include "transfer.h"

using namespace uplift;

namespace {

constexpr size_t kMaxInput = 16 * 1024;  // the whole request must fit the socket buffer
constexpr char kAnswer[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";

// A listening abstract-namespace Unix socket (no file, no port), made once per process.
const std::string& listenerName() {
  static const std::string name = "uplift-form-fuzz-" + std::to_string(getpid());
  return name;
}

int listener() {
  static const int fd = [] {
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string& name = listenerName();
    std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    FUZZ_CHECK(l >= 0 && bind(l, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(l, 4) == 0);
    return l;
  }();
  return fd;
}

// Runs once curl is connected, before it sends: takes the connection and queues the answer.
int acceptAndAnswer(void* clientp, char*, char*, int, int) {
  int* server = static_cast<int*>(clientp);
  *server = accept4(listener(), nullptr, nullptr, SOCK_CLOEXEC);
  if (*server < 0) return CURL_PREREQFUNC_ABORT;
  ssize_t n = write(*server, kAnswer, sizeof kAnswer - 1);
  return n == static_cast<ssize_t>(sizeof kAnswer - 1) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

struct Part {
  std::string head;
  std::string content;
};

std::string param(const std::string& head, const std::string& name) {
  std::string key = "; " + name + "=\"";
  size_t a = head.find(key);
  if (a == std::string::npos) return "\x01missing";
  a += key.size();
  size_t b = head.find('"', a);
  return b == std::string::npos ? "\x01unterminated" : head.substr(a, b - a);
}

// Splits a multipart body at the boundary; aborts when it is not well formed.
std::vector<Part> splitMultipart(const std::string& body, const std::string& boundary) {
  std::vector<Part> out;
  const std::string delim = "--" + boundary;
  FUZZ_CHECK(body.compare(0, delim.size() + 2, delim + "\r\n") == 0);
  size_t pos = delim.size() + 2;
  for (;;) {
    size_t headEnd = body.find("\r\n\r\n", pos);
    size_t next = body.find("\r\n" + delim, pos);
    FUZZ_CHECK(headEnd != std::string::npos && next != std::string::npos && headEnd <= next);
    out.push_back(Part{body.substr(pos, headEnd - pos), body.substr(headEnd + 4, next - headEnd - 4)});
    pos = next + 2 + delim.size();
    if (body.compare(pos, 4, "--\r\n") == 0) {
      FUZZ_CHECK(pos + 4 == body.size());
      return out;
    }
    FUZZ_CHECK(body.compare(pos, 2, "\r\n") == 0);
    pos += 2;
  }
}

// A name as curl writes it in Content-Disposition when it needs no escaping; "" otherwise.
bool plainName(const std::string& s) {
  return s.find_first_of(std::string("\"\r\n\\\0", 5)) == std::string::npos;
}

std::string readAll(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;  // 0: curl closed its end
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string rest = fuzz::asString(data, size);
  std::string lines[4];
  for (auto& l : lines) fuzz::splitFirstLine(std::string(rest), &l, &rest);

  auto fileBytes = std::make_shared<std::string>(lines[3]);
  HttpRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1/form";
  req.isForm = true;
  req.form.fileField = lines[0];
  req.form.fileName = lines[1];
  req.form.fileContentType = lines[2];
  req.form.file = BodyRange{std::make_shared<MemorySource>(fileBytes->data(), fileBytes->size(), fileBytes),
                            0, fileBytes->size()};
  while (!rest.empty()) {
    std::string line;
    fuzz::splitFirstLine(std::string(rest), &line, &rest);
    bool after = !line.empty() && line[0] == '>';
    if (after) line.erase(0, 1);
    size_t eq = line.find('=');
    FormField f{line.substr(0, eq), eq == std::string::npos ? "" : line.substr(eq + 1)};
    (after ? req.form.fieldsAfterFile : req.form.fields).push_back(f);
  }
  std::vector<FormField> expected = req.form.fields;
  size_t filePos = expected.size();
  expected.push_back(FormField{req.form.fileField, *fileBytes});
  expected.insert(expected.end(), req.form.fieldsAfterFile.begin(), req.form.fieldsAfterFile.end());

  listener();
  int server = -1;
  auto job = std::make_shared<Job>(nullptr, 0, JobOptions());
  job->setTotals(fileBytes->size(), 1);
  {
    Transfer t(job, req, [](const Error&, HttpResponse&) {});
    Error err;
    FUZZ_CHECK(t.prepare(nullptr, TlsOptions(), &err));
    curl_easy_setopt(t.easy(), CURLOPT_ABSTRACT_UNIX_SOCKET, listenerName().c_str());
    curl_easy_setopt(t.easy(), CURLOPT_PREREQFUNCTION, &acceptAndAnswer);
    curl_easy_setopt(t.easy(), CURLOPT_PREREQDATA, &server);
    if (getenv("FORM_FUZZ_VERBOSE")) curl_easy_setopt(t.easy(), CURLOPT_VERBOSE, 1L);
    CURLcode rc = curl_easy_perform(t.easy());
    if (rc != CURLE_OK) std::fprintf(stderr, "curl: %s (%s)\n", curl_easy_strerror(rc), t.errorText());
    FUZZ_CHECK(rc == CURLE_OK);
    long status = 0;
    curl_easy_getinfo(t.easy(), CURLINFO_RESPONSE_CODE, &status);
    FUZZ_CHECK(status == 204);
    FUZZ_CHECK(t.response().bytesSent == fileBytes->size());
    t.endAttempt(true);  // closes curl's end: the read below ends
  }
  FUZZ_CHECK(server >= 0);
  std::string request = readAll(server);
  close(server);
  FUZZ_CHECK(job->snapshot().bytesSent == fileBytes->size());

  FUZZ_CHECK(request.rfind("POST /form HTTP/1.1\r\n", 0) == 0);
  size_t headEnd = request.find("\r\n\r\n");
  FUZZ_CHECK(headEnd != std::string::npos);
  std::string head = request.substr(0, headEnd + 2);
  std::string body = request.substr(headEnd + 4);
  FUZZ_CHECK(head.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
  const std::string ctKey = "\r\nContent-Type: multipart/form-data; boundary=";
  size_t ct = head.find(ctKey);
  FUZZ_CHECK(ct != std::string::npos);
  size_t bEnd = head.find("\r\n", ct + ctKey.size());
  std::string boundary = head.substr(ct + ctKey.size(), bEnd - ct - ctKey.size());
  FUZZ_CHECK(boundary.size() >= 16);

  std::vector<Part> parts = splitMultipart(body, boundary);
  FUZZ_CHECK(parts.size() == expected.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    FUZZ_CHECK(p.head.rfind("Content-Disposition: form-data; name=\"", 0) == 0);
    FUZZ_CHECK(p.content == expected[i].value);
    std::string name = expected[i].name.substr(0, expected[i].name.find('\0'));
    if (plainName(name)) FUZZ_CHECK(param(p.head, "name") == name);
    if (i == filePos) {
      std::string fileName = req.form.fileName.substr(0, req.form.fileName.find('\0'));
      if (plainName(fileName) && !fileName.empty()) FUZZ_CHECK(param(p.head, "filename") == fileName);
      // A type with a NUL reaches curl cut short (C string): only whole types are checked.
      std::string type = req.form.fileContentType;
      if (type.empty()) type = "application/octet-stream";
      if (plainName(type)) FUZZ_CHECK(p.head.find("\r\nContent-Type: " + type) != std::string::npos);
    } else {
      FUZZ_CHECK(param(p.head, "filename") == "\x01missing");
    }
  }
  return 0;
}
