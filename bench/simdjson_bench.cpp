// Parse floor with simdjson (Debian's libsimdjson-dev), same output format as
// parse_bench.c: "name min_us median_us checksum".
//   simdjson_dom     dom::parser::parse of the whole document (a full DOM, like jansson)
//   simdjson_fields  On-Demand walk to every pod's InstanceNo and first ContainerIp
// Build: c++ -O2 -std=c++17 simdjson_bench.cpp -lsimdjson
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace simdjson;

static double now_us()
{
	return std::chrono::duration<double, std::micro>(
	    std::chrono::steady_clock::now().time_since_epoch()).count();
}

static void report(const char *name, std::vector<double> &t, long sum)
{
	std::sort(t.begin(), t.end());
	std::printf("%s %.0f %.0f %ld\n", name, t[0], t[t.size() / 2], sum);
	std::fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: %s FILE [REPEATS]\n", argv[0]);
		return 2;
	}
	int reps = argc > 2 ? std::atoi(argv[2]) : 5;
	if (reps < 1 || reps > 1000) {
		reps = 5;
	}
	padded_string doc;
	if (padded_string::load(argv[1]).get(doc)) {
		std::fprintf(stderr, "cannot read %s\n", argv[1]);
		return 1;
	}
	std::vector<double> t(reps);
	long sum = 0;
	{
		dom::parser parser;
		for (int r = 0; r < reps; r++) {
			double s = now_us();
			dom::element root;
			if (parser.parse(doc).get(root)) {
				std::fprintf(stderr, "simdjson dom: parse failed\n");
				return 1;
			}
			dom::object obj;
			sum = root.get(obj) ? 0 : (long)obj.size();
			t[r] = now_us() - s;
		}
		report("simdjson_dom", t, sum);
	}
	{
		ondemand::parser parser;
		for (int r = 0; r < reps; r++) {
			double s = now_us();
			long n = 0;
			ondemand::document d;
			if (parser.iterate(doc).get(d)) {
				return 1;
			}
			ondemand::object root;
			if (d.get_object().get(root)) {
				return 1;
			}
			for (auto field : root) {
				ondemand::object group;
				if (field.value().get_object().get(group)) {
					continue;
				}
				ondemand::array pods;
				if (group["PodInfos"].get_array().get(pods)) {
					continue;
				}
				for (auto podv : pods) {
					ondemand::object pod;
					if (podv.get_object().get(pod)) {
						continue;
					}
					// fields in document order (Go sorts keys): ContainerInfos < InstanceNo
					std::string_view ip;
					int64_t no = 0;
					for (auto f : pod) {
						std::string_view k;
						if (f.unescaped_key().get(k)) {
							break;
						}
						if (k == "ContainerInfos") {
							for (auto c : f.value().get_array()) {
								ondemand::object co;
								if (!c.get_object().get(co)) {
									std::string_view v;
									if (!co["ContainerIp"].get_string().get(v)) {
										ip = v;
									}
								}
								break;
							}
						} else if (k == "InstanceNo") {
							if (f.value().get_int64().get(no)) {
								no = 0;
							}
						}
					}
					n += no > 0 && !ip.empty();
				}
			}
			t[r] = now_us() - s;
			sum = n;
		}
		report("simdjson_fields", t, sum);
	}
	return 0;
}
