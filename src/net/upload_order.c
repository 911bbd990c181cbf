/* upload_order.c - the order of a viewer's uploads (upload_order.h).
 * Pure. */
#include "net/upload_order.h"

uint32_t sp_upload_key(uint32_t dist, bool elsewhere)
{
	if (!elsewhere)
		return dist;
	return dist > UINT32_MAX - SP_URGENT_ELSEWHERE ? UINT32_MAX : dist + SP_URGENT_ELSEWHERE;
}

bool sp_upload_alternative(uint32_t p_at, uint32_t q_at, uint32_t u_at)
{
	if (q_at == SP_UPLOAD_NOWHERE)
		return true;
	if (q_at < p_at)
		return false;
	return !(u_at != SP_UPLOAD_NOWHERE && u_at >= p_at && q_at > u_at);
}

bool sp_upload_between(uint32_t p_at, uint32_t q_at, uint32_t u_at)
{
	return p_at != SP_UPLOAD_NOWHERE && q_at != SP_UPLOAD_NOWHERE &&
	       u_at != SP_UPLOAD_NOWHERE && p_at <= q_at && q_at <= u_at;
}

bool sp_upload_kept(uint32_t p_need, uint32_t q_need, bool q_asked_first)
{
	if ((uint64_t)q_need + SP_URGENT_SLACK < p_need)
		return true;
	return q_asked_first && (uint64_t)q_need <= (uint64_t)p_need + SP_URGENT_SLACK;
}

bool sp_upload_refuse(int64_t held_us, bool elsewhere, bool refused_before)
{
	return elsewhere && !refused_before && held_us >= SP_URGENT_HOLD_US;
}

ssize_t sp_upload_pick(const uint32_t *keys, size_t n, uint32_t min_key, bool spare)
{
	if (!n)
		return -1;
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (keys[i] < keys[best])
			best = i;
	if (!spare && (uint64_t)keys[best] > (uint64_t)min_key + SP_URGENT_SLACK)
		return -1;
	return (ssize_t)best;
}

uint32_t sp_upload_starting_pieces(uint32_t rate, uint32_t piece_length)
{
	if (!piece_length)
		return 2;
	double n = SP_URGENT_STARTING_S * (double)rate / (double)piece_length;
	if (n < 2)
		return 2;
	return n > 1e6 ? 1000000 : (uint32_t)(n + 0.999);
}
