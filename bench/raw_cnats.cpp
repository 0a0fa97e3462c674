// The raw JetStream baseline: the same operations naq performs, done with cnats directly on the
// same server in the same run, so that naq's figures can be given as ratios of them.
// (cnats lifetimes outside src/connection are allowed here: bench/ is not the library.)
#include "raw_cnats.hpp"

#include <nats/nats.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench_support.hpp"

namespace naq::bench {

namespace {

constexpr const char* kStream = "RAW_BENCH";
constexpr int kPayloadBytes = 100;
constexpr std::size_t kJobBytes = 250;  // a no-op job's envelope is 252 bytes

/// One connection and JetStream context of its own (async publishes with 4096 pending).
struct RawClient {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;

    explicit RawClient(const std::string& url) {
        ok(natsConnection_ConnectTo(&nc, url.c_str()), "connect");
        jsOptions o;
        jsOptions_Init(&o);
        o.PublishAsync.MaxPending = 4096;
        o.Wait = 10'000;
        ok(natsConnection_JetStream(&js, nc, &o), "jetstream context");
    }
    ~RawClient() {
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
    }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    /// A work-queue stream on file storage, like naq's jobs stream.
    void add_stream() {
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = kStream;
        const char* subjects[] = {"raw.>"};
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Retention = js_WorkQueuePolicy;
        cfg.Storage = js_FileStorage;
        jsStreamInfo* si = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        ok(js_AddStream(&si, js, &cfg, nullptr, &code), "add stream", code);
        jsStreamInfo_Destroy(si);
    }

    /// A durable pull consumer on `subject`, bound with a subscription of its own.
    natsSubscription* pull(const char* durable, const char* subject) {
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = durable;
        cc.AckPolicy = js_AckExplicit;
        cc.FilterSubject = subject;
        cc.MaxAckPending = 20'000;  // as naq's worker.max_ack_pending
        jsConsumerInfo* ci = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        ok(js_AddConsumer(&ci, js, kStream, &cc, nullptr, &code), "add consumer", code);
        jsConsumerInfo_Destroy(ci);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = kStream;
        so.Consumer = durable;
        natsSubscription* sub = nullptr;
        ok(js_PullSubscribe(&sub, js, subject, durable, nullptr, &so, &code), "pull subscribe", code);
        return sub;
    }
};

std::string payload() { return std::string(kPayloadBytes, 'x'); }

/// Until every async publish of `c` is acknowledged (or a minute passed: an error).
void wait_for_acks(RawClient& c) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 60'000;
    ok(js_PublishAsyncComplete(c.js, &po), "publish async complete");
}

double async_publish(RawClient& c, const char* subject, std::size_t n) {
    std::string data = payload();
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        ok(js_PublishAsync(c.js, subject, data.data(), static_cast<int>(data.size()), nullptr), "publish async");
    }
    wait_for_acks(c);
    return static_cast<double>(n) / seconds_since(start);
}

double async_publish_msg_id(RawClient& c, const char* subject, std::size_t n) {
    std::string data(kJobBytes, 'x');
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        natsMsg* msg = nullptr;
        ok(natsMsg_Create(&msg, subject, nullptr, data.data(), static_cast<int>(data.size())), "create message");
        std::string id = "raw-" + std::to_string(i);
        ok(natsMsgHeader_Set(msg, "Nats-Msg-Id", id.c_str()), "set header");
        ok(js_PublishMsgAsync(c.js, &msg, nullptr), "publish async");  // cnats owns msg now
    }
    wait_for_acks(c);
    return static_cast<double>(n) / seconds_since(start);
}

double sync_publish(RawClient& c, const char* subject, std::size_t n) {
    std::string data = payload();
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        jsErrCode code = static_cast<jsErrCode>(0);
        ok(js_Publish(nullptr, c.js, subject, data.data(), static_cast<int>(data.size()), nullptr, &code), "publish",
           code);
    }
    return static_cast<double>(n) / seconds_since(start);
}

/// Drains `n` stored messages with fetch(256) + plain ack of each, one thread.
double fetch_ack(RawClient& c, const char* subject, std::size_t n) {
    natsSubscription* sub = c.pull("raw-fetch", subject);
    std::size_t got = 0;
    auto start = Clock::now();
    while (got < n) {
        jsFetchRequest req;
        jsFetchRequest_Init(&req);
        req.Batch = 256;
        req.NoWait = true;  // take what is stored; never wait for a batch to fill
        req.Expires = int64_t{5000} * 1'000'000;
        natsMsgList list{nullptr, 0};
        natsStatus s = natsSubscription_FetchRequest(&list, sub, &req);
        if (s == NATS_NOT_FOUND || s == NATS_TIMEOUT) continue;
        ok(s, "fetch");
        for (int i = 0; i < list.Count; ++i) ok(natsMsg_Ack(list.Msgs[i], nullptr), "ack");
        got += static_cast<std::size_t>(list.Count);
        natsMsgList_Destroy(&list);
    }
    double rate = static_cast<double>(n) / seconds_since(start);
    natsSubscription_Destroy(sub);
    return rate;
}

/// Publish (sync) → a consumer blocked in fetch(1) receives it; `samples` times, one at a time.
Percentiles publish_to_receive(RawClient& c, const char* subject, std::size_t samples) {
    natsSubscription* sub = c.pull("raw-latency", subject);
    std::mutex m;
    std::condition_variable cv;
    std::size_t received = 0;
    int64_t received_at = 0;
    std::thread consumer([&] {
        while (true) {
            {
                std::lock_guard lock(m);
                if (received == samples) return;
            }
            natsMsgList list{nullptr, 0};
            natsStatus s = natsSubscription_Fetch(&list, sub, 1, 1000, nullptr);
            if (s != NATS_OK) continue;
            int64_t t = now_ns();
            for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
            natsMsgList_Destroy(&list);
            {
                std::lock_guard lock(m);
                ++received;
                received_at = t;
            }
            cv.notify_all();
        }
    });
    std::string data = payload();
    std::vector<double> ms;
    ms.reserve(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        std::this_thread::sleep_for(std::chrono::microseconds(1500));  // the consumer is waiting again
        int64_t t0 = now_ns();
        ok(js_Publish(nullptr, c.js, subject, data.data(), static_cast<int>(data.size()), nullptr, nullptr), "publish");
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return received == i + 1; })) {
            lock.unlock();
            consumer.detach();
            throw std::runtime_error("raw cnats: a published message was not received within 10 s");
        }
        ms.push_back(static_cast<double>(received_at - t0) / 1e6);
    }
    consumer.join();
    natsSubscription_Destroy(sub);
    return percentiles(std::move(ms));
}

}  // namespace

RawResults run_raw(const std::string& url, const Options& o) {
    RawClient c(url);
    c.add_stream();
    RawResults r;
    r.async_publish_rate = async_publish(c, "raw.q", o.n);
    r.fetch_ack_rate = fetch_ack(c, "raw.q", o.n);
    r.async_publish_msg_id_rate = async_publish_msg_id(c, "raw.ids", o.n);
    r.sync_publish_rate = sync_publish(c, "raw.sync", o.n_single);
    if (!o.rates_only) r.latency = publish_to_receive(c, "raw.latency", o.latency_samples);
    jsErrCode code = static_cast<jsErrCode>(0);
    js_DeleteStream(c.js, kStream, nullptr, &code);
    return r;
}

}  // namespace naq::bench
