"""Writes the foreign plan files the tests import, in the formats their tools write (no torch needed).

tiny-mnist-4steps.xdit.json: xDiT's xfuser/core/fast_attention/utils.py save_config_file: {"blockI": {"stepJ": method.name}},
json.dump(indent=2), with FastAttnMethod names (RESIDUAL_WINDOW_ATTN_CFG_SHARE, FULL_ATTN_CFG_SHARE, ...).
tiny-mnist-4steps.ditfastattn(-legacy).json: thu-nics/DiTFastAttn dit_fast_attention.py's cache: torch.save(blocks_methods, "....json")
of [{"attn1": [name per step], "attn2": None, "ff": None}, ...]; torch.save's zip layout is written here by hand
(archive/data.pkl = pickle protocol 2, archive/byteorder, archive/version, archive/.data/serialization_id, stored entries).
"""
import json, pickle, zipfile

STEPS, BLOCKS = 4, 6
XDIT = ["RESIDUAL_WINDOW_ATTN_CFG_SHARE", "FULL_ATTN_CFG_SHARE", "OUTPUT_SHARE", "RESIDUAL_WINDOW_ATTN"]
REFERENCE = ["residual_window_attn+cfg_attn_share", "full_attn+cfg_attn_share", "output_share", "residual_window_attn"]


def plan(names):
    return [["FULL_ATTN" if names is XDIT else "full_attn"] + [names[(b + s) % 4] for s in range(STEPS - 1)] for b in range(BLOCKS)]


with open("tiny-mnist-4steps.xdit.json", "w") as f:
    json.dump({f"block{bi}": {f"step{si}": m for si, m in enumerate(ms)} for bi, ms in enumerate(plan(XDIT))}, f, indent=2)

blocks_methods = [{"attn1": ms, "attn2": None, "ff": None} for ms in plan(REFERENCE)]
with zipfile.ZipFile("tiny-mnist-4steps.ditfastattn.json", "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", pickle.dumps(blocks_methods, protocol=2))
    z.writestr("archive/byteorder", "little")
    z.writestr("archive/version", "3\n")
    z.writestr("archive/.data/serialization_id", "0123456789012345678901234567890123456789")

# torch.save(..., _use_new_zipfile_serialization=False): magic number, protocol version, sys info, the object, storage keys.
with open("tiny-mnist-4steps.ditfastattn-legacy.json", "wb") as f:
    for part in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                               "type_sizes": {"short": 2, "int": 4, "long": 4}}, blocks_methods, []):
        pickle.dump(part, f, protocol=2)
