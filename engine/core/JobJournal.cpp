#include "core/JobJournal.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/JsonFields.h"
#include "core/JsonLimits.h"

namespace fs = std::filesystem;

namespace waft::engine {

namespace {

// A process's start time in clock ticks since boot (/proc/PID/stat field 22): with the pid it names one
// process, so a reused pid is not mistaken for the journal's writer. 0 when unknown.
unsigned long long processStartTicks(long long pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat(4096, '\0');
    in.read(stat.data(), std::streamsize(stat.size()));
    stat.resize(size_t(std::max<std::streamsize>(0, in.gcount())));
    const size_t close = stat.rfind(')');  // the command name may contain spaces and parentheses
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i == 3 && (field == "Z" || field == "X")) return 0;  // killed, not yet reaped: not running
        if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
    }
    return 0;
}

// The entries whose job runs in this process: its pid alone cannot tell a running job from one that a
// shutdown cut short.
std::mutex g_activeMutex;
std::set<std::string> g_active;

void setActive(const std::string& id, bool active) {
    std::lock_guard<std::mutex> lock(g_activeMutex);
    if (active)
        g_active.insert(id);
    else
        g_active.erase(id);
}

bool isActive(const std::string& id) {
    std::lock_guard<std::mutex> lock(g_activeMutex);
    return g_active.count(id) > 0;
}

// The claims this process holds: entry id -> the descriptor whose flock is the claim.
std::map<std::string, int> g_claims;

// Whether another open file (in any process, this one included) holds the lock on a claim file.
// Opens a claim file that is a regular file (never blocks on a FIFO someone planted there).
int openClaimFile(const fs::path& claimFile, int flags) {
    const int fd = ::open(claimFile.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    struct stat st {};
    if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool claimedElsewhere(const fs::path& claimFile) {
    const int fd = openClaimFile(claimFile, O_RDONLY);
    if (fd < 0) return false;
    const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return locked;
}

bool validId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

}  // namespace

JobJournal::JobJournal(std::string dir) : m_dir(std::move(dir)) {}

std::string JobJournal::defaultDir() {
    if (const char* d = std::getenv("WAFT_STATE_DIR"); d && *d) return d;
    if (const char* d = std::getenv("XDG_STATE_HOME"); d && d[0] == '/') return std::string(d) + "/waft/jobs";
    std::string home;
    if (const char* h = std::getenv("HOME"); h && h[0] == '/') home = h;
    if (home.empty())
        if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir && pw->pw_dir[0] == '/') home = pw->pw_dir;
    // Never a shared folder such as /tmp: anyone could plant specs there. Without a home, nothing is journalled.
    return home.empty() ? std::string() : home + "/.local/state/waft/jobs";
}

Expected<std::string> JobJournal::record(const JobSpec& spec) const {
    if (m_dir.empty()) return Status::io("no folder for the job journal (no home directory)");
    if (!isValidUtf8(spec.kind) || !isValidUtf8(spec.title) || !isValidUtf8(spec.paramsJson))
        return Status::invalid("job spec is not UTF-8 text");
    std::error_code ec;
    fs::create_directories(m_dir, ec);
    if (!fs::is_directory(m_dir, ec)) return Status::io("cannot create the job journal folder " + m_dir);
    static std::atomic<int> counter{0};
    const long long now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const long long pid = ::getpid();
    const std::string id = std::to_string(now) + "-" + std::to_string(pid) + "-" + std::to_string(counter++);
    const nlohmann::json entry = {
        {"format", "waft-job"},      {"version", 1},   {"kind", spec.kind}, {"title", spec.title},
        {"params", spec.paramsJson}, {"started", now}, {"pid", pid},        {"pid_start", processStartTicks(pid)}};
    const std::string text = entry.dump(2);
    if (text.size() > kMaxFileBytes) return Status::invalid("job spec is too large to journal");
    const fs::path target = fs::path(m_dir) / (id + ".json");
    const fs::path temporary = fs::path(m_dir) / ("." + id + ".tmp");
    {
        // Written and synced before the rename, so a power cut leaves the old state or the whole entry.
        const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        bool written = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
        if (fd >= 0 && ::close(fd) != 0) written = false;
        if (!written) {
            fs::remove(temporary, ec);
            return Status::io("cannot write " + temporary.string());
        }
    }
    setActive(id, true);  // before the file appears, so no reader takes it for an interrupted job
    fs::rename(temporary, target, ec);
    if (ec) {
        setActive(id, false);
        fs::remove(temporary, ec);
        return Status::io("cannot write " + target.string());
    }
    return id;
}

std::string JobJournal::recordJob(const Job& job) const noexcept {
    try {
        const std::optional<JobSpec> spec = job.resumeSpec();
        if (!spec) return {};
        auto id = record(*spec);
        return id ? *id : std::string();
    } catch (...) {  // a spec that cannot be serialised (not UTF-8, out of memory): no entry
        return {};
    }
}

void JobJournal::remove(const std::string& id) const {
    if (!validId(id)) return;
    std::error_code ec;
    fs::remove(fs::path(m_dir) / (id + ".json"), ec);
    setActive(id, false);
    // The claim goes with its entry (a claim left by a dead process too); unlinked while still locked, so a
    // resume that opened it meanwhile finds the entry gone.
    fs::remove(fs::path(m_dir) / (id + ".claim"), ec);
    std::lock_guard<std::mutex> lock(g_activeMutex);
    if (const auto it = g_claims.find(id); it != g_claims.end()) {
        ::close(it->second);
        g_claims.erase(it);
    }
}

Status JobJournal::claim(const std::string& id) const {
    if (!validId(id)) return Status::invalid("no interrupted job " + quoteForError(id, 64));
    const fs::path entry = fs::path(m_dir) / (id + ".json");
    const fs::path claimFile = fs::path(m_dir) / (id + ".claim");
    const Status gone = Status::invalid("job " + id + " is no longer in the journal (resumed or discarded meanwhile)");
    std::error_code ec;
    if (!fs::exists(entry, ec)) return gone;
    std::lock_guard<std::mutex> lock(g_activeMutex);
    if (g_claims.count(id)) return Status::invalid("job " + id + " is already being resumed here");
    const int fd = openClaimFile(claimFile, O_RDWR | O_CREAT);
    if (fd < 0) return Status::io("cannot claim job " + id + " in " + m_dir + " (" + id + ".claim is not a file)");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return Status::invalid("job " + id + " is already being resumed by another Waft process");
    }
    // Checked with the claim held: a resume that finished in between removed the entry (and unlinked the claim
    // file this may have opened).
    if (!fs::exists(entry, ec)) {
        fs::remove(claimFile, ec);
        ::close(fd);
        return gone;
    }
    g_claims[id] = fd;
    return Status::ok();
}

void JobJournal::release(const std::string& id) const { setActive(id, false); }

std::vector<JournalEntry> JobJournal::entries(std::vector<std::string>* problems) const {
    std::vector<JournalEntry> out;
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(m_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        if (p.extension() == ".json" && validId(p.stem().string()) && it->is_regular_file(ec)) files.push_back(p);
        if (files.size() > kMaxEntries * 4) break;  // a folder filled by something else: look no further
    }
    std::sort(files.begin(), files.end());
    const auto problem = [&](const fs::path& p, const std::string& why) {
        if (problems) problems->push_back(p.filename().string() + ": " + why);
    };
    for (const fs::path& p : files) {
        if (out.size() >= kMaxEntries) break;
        const auto size = fs::file_size(p, ec);
        if (ec || size > kMaxFileBytes) {
            problem(p, "unreadable or larger than " + std::to_string(kMaxFileBytes) + " bytes");
            continue;
        }
        std::ifstream in(p, std::ios::binary);
        std::string text(size_t(size), '\0');
        in.read(text.data(), std::streamsize(size));
        auto fields = JsonFields::parse(text, p.filename().string(), kMaxFileBytes, 4);
        if (!fields) {
            problem(p, fields.status().message());
            continue;
        }
        JournalEntry e;
        e.id = p.stem().string();
        const std::string format = fields->string("format", "", 16);
        const int version = fields->integer("version", 0, 1, 1);
        e.spec.kind = fields->string("kind", "", 64);
        e.spec.title = fields->string("title", "", 1024);
        e.spec.paramsJson = fields->string("params", "{}", kMaxFileBytes);
        e.startedUnixSec = (long long)fields->real("started", 0.0, 0.0, 1e12);  // seconds: past 2038 too
        const int pid = fields->integer("pid", 0, 0, std::numeric_limits<int>::max());
        const double pidStart = fields->real("pid_start", 0.0, 0.0, 1e19);
        if (!fields->status() || format != "waft-job" || version != 1 || e.spec.kind.empty()) {
            problem(p, fields->status() ? std::string("not a Waft job spec") : fields->status().message());
            continue;
        }
        e.ownerAlive = pid == ::getpid() ? isActive(e.id)
                                         : pid > 0 && pidStart > 0.0 && double(processStartTicks(pid)) == pidStart;
        if (!e.ownerAlive) e.ownerAlive = claimedElsewhere(fs::path(m_dir) / (e.id + ".claim"));
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace waft::engine
