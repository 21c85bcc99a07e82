#pragma once
/// A fleet report as GET /admin/fleet sends it, for the drill's tests:
/// model m with two serving instances on node a1 (zone-a), a hot standby on
/// a2 (zone-a) and a warm one on b1 (zone-b); failovers appended by tests.
#include <string>

namespace sluice::drill::test {

inline std::string fleet_json(const std::string& failovers = "", bool settled = true) {
  return R"({"instances":[
    {"id":"m/0","model":"m","state":"hot","temperature":"hot","role":"serving","node":"a1","zone":"zone-a","gpus":["a1/gpu0"],"port":4001,"pid":11},
    {"id":"m/1","model":"m","state":"hot","temperature":"hot","role":"serving","node":"a1","zone":"zone-a","gpus":["a1/gpu1"],"port":4002,"pid":12},
    {"id":"m/2","model":"m","state":"hot","temperature":"hot","role":"standby","node":"a2","zone":"zone-a","gpus":["a2/gpu0"],"port":4003,"pid":13},
    {"id":"m/3","model":"m","state":"warm","temperature":"warm","role":"standby","node":"b1","zone":"zone-b","gpus":["b1/gpu0"],"port":4004,"pid":14},
    {"id":"other/0","model":"other","state":"hot","temperature":"hot","role":"serving","node":"a1","zone":"zone-a","gpus":[],"port":4005,"pid":15}],
   "models":[{"name":"m","serving":2,"hot_min":2,"hot_max":3,"standby":{"hot":1,"warm":1,"cold":0},
              "standby_policy":{"hot":1,"warm":1,"cold":0},"settled":)" +
         std::string(settled ? "true" : "false") + R"(}],
   "failovers":[)" + failovers + "]}";
}

}  // namespace sluice::drill::test
